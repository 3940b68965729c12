import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { JobLoop, type Runner } from '../jobs/loop.js'
import { ExportJob } from './job.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Writes the archives of waiting exports in the background (job.ts); kicked when one is accepted. */
    exportWorker: Runner
  }
}

/** Exports this process writes at once: each holds a database reader and a storage write while it runs. */
const CONCURRENCY = 4
/**
 * How often an idle export job looks for waiting exports. This process kicks it when it accepts one; the poll
 * finds those another process accepted, or whose process died (after their lease, 30 s).
 */
const POLL_MS = 5_000

/** Runs the export job in the server, and stops it (each running export cleaning up) at close. */
export const exportsPlugin = fp<{ config: Config }>(
  async (app, { config }) => {
    const job = new ExportJob({
      db: app.db,
      storage: app.storage,
      ttlSeconds: config.EXPORT_TTL_SECONDS,
      log: app.log,
      clock: app.clock,
      concurrency: CONCURRENCY,
      onEnded: () => loop.kick(),
    })
    const loop = new JobLoop(job, {
      pollMs: POLL_MS,
      maxBackoffMs: 60_000,
      heartbeatMs: config.WORKER_HEARTBEAT_MS,
      logger: app.log.child({ component: 'exports' }),
      clock: app.clock,
    })
    app.decorate('exportWorker', loop)
    app.addHook('onReady', async () => loop.start())
    app.addHook('preClose', async () => loop.stop())
  },
  { name: 'exports', dependencies: ['database', 'storage'] },
)
