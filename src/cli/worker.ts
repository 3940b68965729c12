import pino from 'pino'
import { loadConfig } from '../config.js'
import { openDatabase } from '../db/connect.js'
import { migrateToLatest } from '../db/migrate.js'
import { PurgeWorker } from '../deletion/worker.js'
import { replayAtStart } from '../deletion/proof-plugin.js'
import { proofSettings } from '../deletion/proof.js'
import { deliveryOptions } from '../events/options.js'
import { DeliveryWorker } from '../events/worker.js'
import { exportLoop } from '../exports/loop.js'
import { systemClock } from '../core/clock.js'
import { checkSqliteWritable } from '../startup-error.js'
import { openStorage, storageSettings } from '../storage/open.js'

/**
 * `orgspace worker`: a daemon. It runs until SIGTERM/SIGINT, then stops between batches and resolves. A database
 * it cannot use at start rejects (exit 1), so a supervisor sees a failure to restart rather than a success.
 */
export async function runWorker(): Promise<void> {
  const config = loadConfig()
  const logger = pino({ level: config.LOG_LEVEL, base: { component: 'purge' } })
  checkSqliteWritable(config.DATABASE_URL)
  const database = openDatabase(config.DATABASE_URL)
  try {
    await migrateToLatest(database.db)
  } catch (error) {
    await database.close().catch(() => undefined)
    throw error
  }
  database.pool?.on('error', (error) => logger.warn({ err: error }, 'database connection lost'))
  const storage = await openStorage(storageSettings(config))
  // Before any work: what a restored backup brought back is deleted again first (docs/api.md §12).
  const proof = proofSettings(config)
  await replayAtStart(database.db, proof, logger).catch(async (error: unknown) => {
    await storage.close()
    await database.close()
    throw error
  })

  const worker = new PurgeWorker(database.db, {
    batchTargetMs: config.PURGE_BATCH_TARGET_MS,
    pollMs: config.PURGE_POLL_MS,
    heartbeatMs: config.WORKER_HEARTBEAT_MS,
    leaseMs: config.PURGE_LEASE_MS,
    slugQuarantineSeconds: config.SLUG_QUARANTINE_SECONDS,
    logger,
    storage,
    objectBatch: config.PURGE_OBJECT_BATCH,
    proof,
  })
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    const first = (signal: NodeJS.Signals) => {
      resolve(signal)
      const again = (second: NodeJS.Signals) => {
        logger.warn({ signal: second }, 'second signal: exiting without waiting')
        process.exit(1)
      }
      process.once('SIGTERM', again)
      process.once('SIGINT', again)
    }
    process.once('SIGTERM', first)
    process.once('SIGINT', first)
  })
  // The worker's own timers do not hold a process open (in the server they must not delay its exit): here
  // nothing else would, so the daemon holds it open itself until it is told to stop.
  const keepAlive = setInterval(() => undefined, 2 ** 30)
  worker.start()
  logger.info(
    { worker: worker.id, dialect: database.dialect, pollMs: config.PURGE_POLL_MS },
    'purge worker started',
  )
  const eventLogger = logger.child({ component: 'events' })
  const delivery = config.EVENT_WORKER === 'off' ? null : deliveryOptions(config, eventLogger)
  const deliveries = delivery
    ? new DeliveryWorker(database.db, { ...delivery, onRelease: () => worker.kick() })
    : null
  deliveries?.start()
  if (deliveries) eventLogger.info({ worker: deliveries.id }, 'delivery worker started')
  // Exports accepted by any server are written by whichever process claims them first, this one included.
  const exports = exportLoop({
    db: database.db,
    storage,
    ttlSeconds: config.EXPORT_TTL_SECONDS,
    logger: logger.child({ component: 'exports' }),
    clock: systemClock,
    heartbeatMs: config.WORKER_HEARTBEAT_MS,
  })
  exports.start()

  const signal = await signalled
  logger.info({ worker: worker.id, signal }, 'stopping between batches')
  await Promise.all([worker.stop(), deliveries?.stop(), exports.stop()])
  delivery?.close()
  await storage.close()
  await database.close()
  clearInterval(keepAlive)
  logger.info({ worker: worker.id }, 'purge worker stopped')
}
