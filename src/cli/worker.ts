import pino from 'pino'
import { loadConfig } from '../config.js'
import { openDatabase } from '../db/connect.js'
import { migrateToLatest } from '../db/migrate.js'
import { PurgeWorker } from '../deletion/worker.js'
import { openStorage, storageSettings } from '../storage/storage.js'
import { parseOptions, registerCommand } from './commands.js'

registerCommand({
  name: 'worker',
  summary: 'run the purge worker alone (no HTTP); stops between batches on SIGTERM/SIGINT',
  usage:
    'orgspace worker   — reads DATABASE_URL, STORAGE_URL (and S3_*), LOG_LEVEL, PURGE_BATCH_TARGET_MS, PURGE_POLL_MS, PURGE_LEASE_MS, PURGE_OBJECT_BATCH',
  async run(args) {
    parseOptions(args, {}, 'orgspace worker')
    const config = loadConfig()
    const logger = pino({ level: config.LOG_LEVEL, base: { component: 'purge' } })
    const database = openDatabase(config.DATABASE_URL)
    database.pool?.on('error', (error) => logger.warn({ err: error }, 'database connection lost'))
    await migrateToLatest(database.db)
    const storage = await openStorage(storageSettings(config))
    const worker = new PurgeWorker(database.db, {
      batchTargetMs: config.PURGE_BATCH_TARGET_MS,
      pollMs: config.PURGE_POLL_MS,
      leaseMs: config.PURGE_LEASE_MS,
      logger,
      storage,
      objectBatch: config.PURGE_OBJECT_BATCH,
    })
    worker.start()
    logger.info({ worker: worker.id }, 'purge worker started')
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve)
      process.once('SIGINT', resolve)
    })
    logger.info({ worker: worker.id }, 'stopping between batches')
    await worker.stop()
    await storage.close()
    await database.close()
    return 0
  },
})
