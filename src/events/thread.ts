import { workerData } from 'node:worker_threads'
import type { Config } from '../config.js'
import { sql } from 'kysely'
import { openDatabase } from '../db/connect.js'
import type { Outcome, Queue } from './attempts.js'
import { deliveryOptions } from './options.js'
import { serveRunner, threadPort } from '../jobs/thread.js'
import { DeliveryWorker } from './worker.js'

// The body of the delivery thread (see threaded-worker.ts): a DeliveryWorker on a SQLite connection of its own.
// Messages in: 'kick', 'stop'. Messages out: log lines, outcomes (counted by the server) and released purge holds
// (the server wakes its purge worker).

export interface ThreadData {
  config: Config
}

export type ThreadMessage = { type: 'outcome'; queue: Queue; outcome: Outcome } | { type: 'release' }

const { port, send, logger } = threadPort<ThreadMessage>('delivery')
const { config } = workerData as ThreadData

const database = openDatabase(config.DATABASE_URL)
// Checkpoints are left to the server's connection, or to the purge thread while it runs (deletion/thread.ts): one
// made here after a delivery's commit would copy the whole WAL a purge is writing into the database file, and make
// the purge's commits, and with them every writer waiting for the lock, wait for the disk.
await sql`pragma wal_autocheckpoint = 0`.execute(database.db)
const options = deliveryOptions(config, logger)
const worker = new DeliveryWorker(database.db, {
  ...options,
  onOutcome: (queue, outcome) => send({ type: 'outcome', queue, outcome }),
  onRelease: () => send({ type: 'release' }),
})
serveRunner(port, worker, async () => {
  options.close()
  await database.close()
})
