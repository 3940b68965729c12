import { waitingWriters } from '../db/write-waits.js'
import { SupervisedThread, threadEntry } from '../supervised-thread.js'
import type { ThreadData, ThreadMessage } from './thread.js'
import type { PurgeWorkerOptions } from './worker.js'

/**
 * The purge worker, on SQLite, in a thread of its own. better-sqlite3 is synchronous: in the server's thread every
 * purge batch (and the WAL checkpoints its commits trigger) would stop the event loop, and with it every other
 * tenant's requests. On its own connection in its own thread, the purge only ever makes other *writers* wait for
 * the database's write lock, one batch at a time; readers are never blocked (WAL). Same interface as PurgeWorker;
 * `stop` lets the thread finish its batch and close its connection.
 */
export class ThreadedPurgeWorker {
  private readonly thread: SupervisedThread<ThreadMessage>

  constructor(url: string, options: PurgeWorkerOptions) {
    // Functions cannot cross into a thread: the thread logs and counts through messages, opens the storage again
    // from its settings, and keeps the real time.
    const { logger, onBatch, onObjects, storage, ...rest } = options
    delete rest.clock
    delete rest.writerWaiting
    this.thread = new SupervisedThread<ThreadMessage>({
      name: 'purge',
      entry: threadEntry(import.meta.url, 'purge-thread'),
      workerData: { url, storage: storage.settings, options: rest, waitingWriters } satisfies ThreadData,
      logger,
      restartMs: options.pollMs,
      onMessage: (message) => {
        if (message.type === 'batch') onBatch?.(message.table, message.rows)
        else if (message.type === 'objects') onObjects?.(message.count)
        else logger[message.level](message.obj, message.msg)
      },
    })
  }

  start(): void {
    this.thread.start()
  }

  kick(): void {
    this.thread.kick()
  }

  stop(): Promise<void> {
    return this.thread.stop()
  }
}
