import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import type { Runner } from '../jobs/loop.js'
import { exportLoop } from './loop.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Writes the archives of waiting exports in the background (job.ts); kicked when one is accepted. */
    exportWorker: Runner
  }
}

/** Runs the export job in the server, and stops it (each running export cleaning up) at close. */
export const exportsPlugin = fp<{ config: Config }>(
  async (app, { config }) => {
    const loop = exportLoop({
      db: app.db,
      storage: app.storage,
      ttlSeconds: config.EXPORT_TTL_SECONDS,
      logger: app.log.child({ component: 'exports' }),
      clock: app.clock,
      heartbeatMs: config.WORKER_HEARTBEAT_MS,
    })
    app.decorate('exportWorker', loop)
    app.addHook('onReady', async () => loop.start())
    app.addHook('preClose', async () => loop.stop())
  },
  { name: 'exports', dependencies: ['database', 'storage'] },
)
