import type { Db } from './connect.js'
import { dialectOf } from './dialect.js'

/**
 * Writes handed over one after another, at most one in flight. Where writers do not exclude one another, the
 * caller prepares the next write (parses, checks) while one is in flight, so the database server and this process
 * work at the same time instead of taking turns. Under a single writer a transaction left open during that
 * preparation would keep every other writer waiting, so each write is finished before `push` returns.
 */
export class WritePipeline {
  private writing: Promise<void> = Promise.resolve()
  private readonly overlap: boolean

  constructor(db: Db) {
    this.overlap = !dialectOf(db).singleWriter
  }

  /** Starts `write` once the previous one is done. Its failure is seen by the next `push` or `drain`. */
  async push(write: () => Promise<void>): Promise<void> {
    await this.writing
    this.writing = write()
    this.writing.catch(() => undefined)
    if (!this.overlap) await this.writing
  }

  /** Waits for the write in flight; throws its failure. */
  drain(): Promise<void> {
    return this.writing
  }

  /** Waits for the write in flight, whatever its outcome (before giving up on the whole). */
  settle(): Promise<void> {
    return this.writing.catch(() => undefined)
  }
}
