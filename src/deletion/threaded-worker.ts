import { waitingWriters } from '../db/write-waits.js'
import { ThreadedRunner } from '../jobs/thread.js'
import type { ThreadData, ThreadMessage } from './thread.js'
import type { PurgeWorkerOptions } from './worker.js'

/**
 * The purge worker, on SQLite, in a thread of its own (jobs/thread.ts). On its own connection the purge only ever
 * makes other *writers* wait for the database's write lock, one batch at a time; readers are never blocked (WAL).
 */
export class ThreadedPurgeWorker extends ThreadedRunner<ThreadMessage> {
  constructor(url: string, options: PurgeWorkerOptions) {
    // Functions cannot cross into a thread: the thread logs and counts through messages, opens the storage again
    // from its settings, and keeps the real time.
    const { logger, onBatch, onObjects, storage, ...rest } = options
    delete rest.clock
    delete rest.writerWaiting
    super({
      name: 'purge',
      module: new URL('./thread.ts', import.meta.url),
      compiled: 'purge-thread',
      workerData: { url, storage: storage.settings, options: rest, waitingWriters } satisfies ThreadData,
      logger,
      restartMs: options.pollMs,
      onMessage: (message) => {
        if (message.type === 'batch') onBatch?.(message.table, message.rows)
        else onObjects?.(message.count)
      },
    })
  }
}
