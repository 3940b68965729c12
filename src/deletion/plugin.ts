import fp from 'fastify-plugin'
import { Counter, Gauge } from 'prom-client'
import type { Config } from '../config.js'
import { backlog } from './repository.js'
import { PurgeWorker } from './worker.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The in-process purge worker; null when PURGE_WORKER=off (another process purges). */
    purgeWorker: PurgeWorker | null
  }
}

/**
 * Runs a purge worker inside the server unless PURGE_WORKER=off, and exposes the purge in /metrics: rows deleted
 * per table by this process, and the backlog (deletions not completed, and the age of the oldest) as the
 * database sees it, so any server reports it whichever process purges.
 */
export const purgeWorkerPlugin = fp<{ config: Config }>(
  async (app, { config }) => {
    const registers = [app.metrics.registry]
    const rowsDeleted = new Counter({
      name: 'orgspace_purge_rows_deleted_total',
      help: 'Rows deleted by this process purging deleted organizations, by table',
      labelNames: ['table'] as const,
      registers,
    })
    new Gauge({
      name: 'orgspace_purge_backlog',
      help: 'Deletions whose purge has not completed',
      registers,
      async collect() {
        this.set((await backlog(app.db)).pending)
      },
    })
    new Gauge({
      name: 'orgspace_purge_oldest_age_seconds',
      help: 'Age of the oldest deletion whose purge has not completed (0 when none)',
      registers,
      async collect() {
        const { oldestRequestedAt } = await backlog(app.db)
        this.set(oldestRequestedAt ? (Date.now() - Date.parse(oldestRequestedAt)) / 1000 : 0)
      },
    })

    const worker =
      config.PURGE_WORKER === 'on'
        ? new PurgeWorker(app.db, {
            batchTargetMs: config.PURGE_BATCH_TARGET_MS,
            pollMs: config.PURGE_POLL_MS,
            leaseMs: config.PURGE_LEASE_MS,
            logger: app.log.child({ component: 'purge' }),
            onBatch: (table, rows) => rowsDeleted.inc({ table }, rows),
          })
        : null
    app.decorate('purgeWorker', worker)
    if (!worker) return
    app.addHook('onReady', async () => worker.start())
    app.addHook('preClose', async () => worker.stop())
  },
  { name: 'purge-worker', dependencies: ['database', 'metrics'] },
)
