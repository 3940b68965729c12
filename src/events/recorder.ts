import type { Db, Trx } from '../db/connect.js'

/**
 * Records attempts' outcomes in shared transactions (a group commit): while one transaction is being written,
 * the outcomes that arrive wait and go together in the next. A lone outcome is written at once; a busy worker
 * writes many per transaction, so delivering costs the database one commit per batch, not per delivery. If a
 * transaction fails, every outcome in it fails with it: those deliveries' claims run out and they are tried
 * again (at least once).
 */
export class Recorder {
  private waiting: Array<{
    write(trx: Trx): Promise<unknown>
    settle(error: unknown, value?: unknown): void
  }> = []
  private writing: Promise<void> | null = null

  constructor(private readonly db: Db) {}

  record<T>(write: (trx: Trx) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({
        write,
        settle: (error, value) => (error === undefined ? resolve(value as T) : reject(error)),
      })
      this.writing ??= this.flush()
    })
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
