import { workerData } from 'node:worker_threads'
import { sql } from 'kysely'
import { openDatabase } from '../db/connect.js'
import { writerWaiting } from '../db/write-waits.js'
import { type StorageSettings } from '../storage/storage.js'
import { openStorage } from '../storage/open.js'
import { serveRunner, threadPort } from '../jobs/thread.js'
import { PurgeWorker, type PurgeWorkerOptions } from './worker.js'

// The body of the purge thread (see threaded-worker.ts): a PurgeWorker on a SQLite connection of its own.
// Messages in: 'kick', 'stop'. Messages out: log lines and batches, which the server logs and counts.

export interface ThreadData {
  url: string
  /** The storage is opened again in the thread, from the settings it was opened from. */
  storage: StorageSettings
  options: Omit<
    PurgeWorkerOptions,
    'logger' | 'onBatch' | 'onObjects' | 'storage' | 'clock' | 'writerWaiting'
  >
  /** The server's count of writers waiting for the write lock (db/write-waits.ts), shared memory. */
  waitingWriters: Int32Array
}

export type ThreadMessage =
  { type: 'batch'; table: string; rows: number } | { type: 'objects'; count: number }

const { port, send, logger } = threadPort<ThreadMessage>('purge')
const { url, storage, options, waitingWriters } = workerData as ThreadData

const database = openDatabase(url)
const objectStorage = await openStorage(storage)
// This thread is the database's checkpointer while it runs: the server's connection stops checkpointing (its
// commits would copy the WAL into the database inside a request), and this one copies it in the background —
// after its own larger commits, and on a timer when idle. PASSIVE checkpoints never block readers or writers.
await sql`pragma wal_autocheckpoint = 10000`.execute(database.db)
const checkpoints = setInterval(() => {
  sql`pragma wal_checkpoint(passive)`.execute(database.db).catch(() => undefined)
}, options.pollMs)
const worker = new PurgeWorker(database.db, {
  ...options,
  // The server's writers poll for the write lock every few milliseconds (sqlite-driver.ts): leave them a gap.
  pauseMs: 3,
  writerWaiting: () => writerWaiting(waitingWriters),
  logger,
  onBatch: (table, rows) => send({ type: 'batch', table, rows }),
  storage: objectStorage,
  onObjects: (count) => send({ type: 'objects', count }),
})
serveRunner(port, worker, async () => {
  clearInterval(checkpoints)
  await database.close()
  await objectStorage.close()
})
