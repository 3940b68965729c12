import pino from 'pino'
import { loadConfig } from '../config.js'
import { openDatabase } from '../db/connect.js'
import { migrateToLatest } from '../db/migrate.js'
import { PurgeWorker } from '../deletion/worker.js'
import { deliveryOptions } from '../events/options.js'
import { DeliveryWorker } from '../events/worker.js'
import { parseOptions, registerCommand } from './commands.js'

registerCommand({
  name: 'worker',
  summary:
    'run the purge worker and the event delivery worker alone (no HTTP); stops between batches on SIGTERM/SIGINT',
  usage:
    'orgspace worker   — reads DATABASE_URL, LOG_LEVEL, PURGE_BATCH_TARGET_MS, PURGE_POLL_MS, PURGE_LEASE_MS,\n' +
    '                    EVENT_WORKER (off: purge only), EVENT_POLL_MS, WEBHOOK_*, SMTP_URL, SMTP_FROM',
  async run(args) {
    parseOptions(args, {}, 'orgspace worker')
    const config = loadConfig()
    const logger = pino({ level: config.LOG_LEVEL, base: { component: 'purge' } })
    const database = openDatabase(config.DATABASE_URL)
    database.pool?.on('error', (error) => logger.warn({ err: error }, 'database connection lost'))
    await migrateToLatest(database.db)
    const worker = new PurgeWorker(database.db, {
      batchTargetMs: config.PURGE_BATCH_TARGET_MS,
      pollMs: config.PURGE_POLL_MS,
      leaseMs: config.PURGE_LEASE_MS,
      logger,
    })
    worker.start()
    logger.info({ worker: worker.id }, 'purge worker started')
    const eventLogger = logger.child({ component: 'events' })
    const delivery = config.EVENT_WORKER === 'off' ? null : deliveryOptions(config, eventLogger)
    const deliveries = delivery
      ? new DeliveryWorker(database.db, { ...delivery, onRelease: () => worker.kick() })
      : null
    deliveries?.start()
    if (deliveries) eventLogger.info({ worker: deliveries.id }, 'delivery worker started')
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve)
      process.once('SIGINT', resolve)
    })
    logger.info({ worker: worker.id }, 'stopping between batches')
    await Promise.all([worker.stop(), deliveries?.stop()])
    delivery?.close()
    await database.close()
    return 0
  },
})
