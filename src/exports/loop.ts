import type { Clock } from '../core/clock.js'
import type { Logger } from '../core/logger.js'
import type { Db } from '../db/connect.js'
import { JobLoop } from '../jobs/loop.js'
import type { ObjectStorage } from '../storage/storage.js'
import { ExportJob } from './job.js'

// The export job on the runtime's loop, as the server (plugin.ts) and `orgspace worker` both run it.

/** Exports one process writes at once: each holds a database reader and a storage write while it runs. */
const CONCURRENCY = 4
/**
 * How often an idle export job looks for waiting exports. The server that accepts one kicks its own job; the poll
 * finds those another process accepted, or whose process died (after their lease, 30 s).
 */
const POLL_MS = 5_000

export interface ExportLoopOptions {
  db: Db
  storage: ObjectStorage
  ttlSeconds: number
  logger: Logger
  clock: Clock
  heartbeatMs: number
}

export function exportLoop(options: ExportLoopOptions): JobLoop {
  const job = new ExportJob({
    db: options.db,
    storage: options.storage,
    ttlSeconds: options.ttlSeconds,
    log: options.logger,
    clock: options.clock,
    concurrency: CONCURRENCY,
    onEnded: () => loop.kick(),
  })
  const loop: JobLoop = new JobLoop(job, {
    pollMs: POLL_MS,
    maxBackoffMs: 60_000,
    heartbeatMs: options.heartbeatMs,
    logger: options.logger,
    clock: options.clock,
  })
  return loop
}
