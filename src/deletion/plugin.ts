import fp from 'fastify-plugin'
import { sql } from 'kysely'
import { Counter, Gauge } from 'prom-client'
import type { Config } from '../config.js'
import { backlog } from './repository.js'
import { backgroundInThread } from '../db/connect.js'
import type { Runner } from '../jobs/loop.js'
import { ThreadedPurgeWorker } from './threaded-worker.js'
import { PurgeWorker, type PurgeWorkerOptions } from './worker.js'
import { proofSettings } from './proof.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The server's purge worker; null when PURGE_WORKER=off (another process purges). */
    purgeWorker: Runner | null
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
    // Each gauge reads the backlog itself: prom-client collects metrics concurrently, so one cannot set the other.
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
        this.set(oldestRequestedAt ? (app.clock.now() - Date.parse(oldestRequestedAt)) / 1000 : 0)
      },
    })

    const objectsRemoved = new Counter({
      name: 'orgspace_purge_objects_removed_total',
      help: 'Objects removed from storage by this process (deleted builds, apps and organizations)',
      registers,
    })
    const options: PurgeWorkerOptions = {
      batchTargetMs: config.PURGE_BATCH_TARGET_MS,
      pollMs: config.PURGE_POLL_MS,
      heartbeatMs: config.WORKER_HEARTBEAT_MS,
      leaseMs: config.PURGE_LEASE_MS,
      slugQuarantineSeconds: config.SLUG_QUARANTINE_SECONDS,
      logger: app.log.child({ component: 'purge' }),
      onBatch: (table, rows) => rowsDeleted.inc({ table }, rows),
      storage: app.storage,
      objectBatch: config.PURGE_OBJECT_BATCH,
      onObjects: (count) => objectsRemoved.inc(count),
      proof: proofSettings(config),
    }
    // On a SQLite file the purge gets a thread and a connection of its own (see threaded-worker.ts).
    const threaded = backgroundInThread(config.DATABASE_URL)
    const worker: Runner | null =
      config.PURGE_WORKER === 'off'
        ? null
        : threaded
          ? new ThreadedPurgeWorker(config.DATABASE_URL, options)
          : new PurgeWorker(app.db, options)
    app.decorate('purgeWorker', worker)
    if (!worker) return
    app.addHook('onReady', async () => {
      // The purge thread checkpoints the WAL in the background (see thread.ts), so requests never do.
      if (threaded) await sql`pragma wal_autocheckpoint = 0`.execute(app.db)
      worker.start()
    })
    app.addHook('preClose', async () => {
      await worker.stop()
      if (threaded) await sql`pragma wal_autocheckpoint = 1000`.execute(app.db)
    })
  },
  { name: 'purge-worker', dependencies: ['database', 'metrics', 'storage', 'proof'] },
)
