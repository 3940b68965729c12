import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { PurgeWorker } from './worker.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The in-process purge worker; null when PURGE_WORKER=off (another process purges). */
    purgeWorker: PurgeWorker | null
  }
}

/** Runs a purge worker inside the server unless PURGE_WORKER=off. It stops between batches on close. */
export const purgeWorkerPlugin = fp<{ config: Config }>(
  async (app, { config }) => {
    const worker =
      config.PURGE_WORKER === 'on'
        ? new PurgeWorker(app.db, {
            batchTargetMs: config.PURGE_BATCH_TARGET_MS,
            pollMs: config.PURGE_POLL_MS,
            leaseMs: config.PURGE_LEASE_MS,
            logger: app.log.child({ component: 'purge' }),
          })
        : null
    app.decorate('purgeWorker', worker)
    if (!worker) return
    app.addHook('onReady', async () => worker.start())
    app.addHook('preClose', async () => worker.stop())
  },
  { name: 'purge-worker', dependencies: ['database'] },
)
