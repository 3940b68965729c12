import type { Db, Trx } from '../db/connect.js'

interface Waiting {
  write(trx: Trx): Promise<unknown>
  settle(error: unknown, value?: unknown): void
}

/**
 * Records attempts' outcomes in shared transactions (a group commit): while one transaction is being written,
 * the outcomes that arrive wait and go together in the next. If a transaction fails, every outcome in it fails
 * with it: those deliveries' claims run out and they are tried again (at least once).
 *
 * With `holdMs`, an outcome first waits up to that long for the worker's next dispatch, which writes it in its own
 * transaction (`writeWaiting`): while writes keep coming, delivering then costs the database no transaction of its
 * own — every commit of the worker's is one that the writers' commits queue behind (PostgreSQL's WAL flush,
 * SQLite's one write lock). When no dispatch comes in time, the outcomes are written on their own.
 */
export class Recorder {
  private waiting: Waiting[] = []
  private writing: Promise<void> | null = null
  private timer: ReturnType<typeof setTimeout> | undefined
  private holding = true

  constructor(
    private readonly db: Db,
    private readonly options: { holdMs?: number } = {},
  ) {}

  record<T>(write: (trx: Trx) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({
        write,
        settle: (error, value) => (error === undefined ? resolve(value as T) : reject(error)),
      })
      this.schedule()
    })
  }

  /**
   * Stops (`false`) or resumes holding outcomes for a dispatch: a worker that drains or stops has no dispatch
   * coming, and wants what it delivered written now.
   */
  hold(on: boolean): void {
    this.holding = on
    if (on) return
    clearTimeout(this.timer)
    this.timer = undefined
    if (this.waiting.length > 0) this.writing ??= this.flush()
  }

  /**
   * Writes the waiting outcomes in `trx`, a transaction of the caller's; call the returned function once it has
   * committed (with no argument) or failed (with the error), to settle them.
   */
  async writeWaiting(trx: Trx): Promise<(error?: unknown) => void> {
    const batch = this.waiting
    this.waiting = []
    clearTimeout(this.timer)
    this.timer = undefined
    const results: unknown[] = []
    const settle = (error?: unknown) =>
      batch.forEach((item, i) =>
        error === undefined ? item.settle(undefined, results[i]) : item.settle(error),
      )
    try {
      for (const item of batch) results.push(await item.write(trx))
    } catch (error) {
      settle(error ?? new Error('recording failed'))
      throw error
    }
    return settle
  }

  private schedule(): void {
    if (this.writing || this.timer) return
    const holdMs = this.holding ? (this.options.holdMs ?? 0) : 0
    if (holdMs <= 0) {
      this.writing = this.flush()
      return
    }
    this.timer = setTimeout(() => {
      this.timer = undefined
      if (this.waiting.length > 0) this.writing ??= this.flush()
    }, holdMs)
    this.timer.unref?.()
  }

  private async flush(): Promise<void> {
    while (this.waiting.length > 0) {
      const batch = this.waiting
      this.waiting = []
      const results: unknown[] = []
      try {
        await this.db.transaction().execute(async (trx) => {
          for (const item of batch) results.push(await item.write(trx))
        })
        batch.forEach((item, i) => item.settle(undefined, results[i]))
      } catch (error) {
        for (const item of batch) item.settle(error ?? new Error('recording failed'))
      }
    }
    this.writing = null
  }
}
