import { Worker } from 'node:worker_threads'
import type { ThreadData, ThreadMessage } from './thread.js'
import type { PurgeWorkerOptions } from './worker.js'

// Compiled (dist/), the thread runs thread.js itself. From source (tests, `npm run dev`) the module is thread.ts,
// which a worker thread can only load through tsx, and a thread does not inherit its parent's loaders:
// thread-entry.js registers tsx in the thread first.
const THREAD_ENTRY = new URL(
  import.meta.url.endsWith('.ts') ? './thread-entry.js' : './thread.js',
  import.meta.url,
)

/**
 * The purge worker, on SQLite, in a thread of its own. better-sqlite3 is synchronous: in the server's thread every
 * purge batch (and the WAL checkpoints its commits trigger) would stop the event loop, and with it every other
 * tenant's requests. On its own connection in its own thread, the purge only ever makes other *writers* wait for
 * the database's write lock, one batch at a time; readers are never blocked (WAL). Same interface as PurgeWorker.
 */
export class ThreadedPurgeWorker {
  private thread: Worker | undefined
  private exited: Promise<void> = Promise.resolve()
  private stopping = false

  constructor(
    private readonly url: string,
    private readonly options: PurgeWorkerOptions,
  ) {}

  start(): void {
    if (this.thread) return
    this.stopping = false
    // Functions cannot cross into a thread: the thread logs and counts through messages, opens the storage again
    // from its settings, and keeps the real time.
    const { logger, onBatch, onObjects, storage, ...rest } = this.options
    delete rest.clock
    const thread = new Worker(THREAD_ENTRY, {
      workerData: { url: this.url, storage: storage.settings, options: rest } satisfies ThreadData,
      execArgv: [],
    })
    thread.on('message', (message: ThreadMessage) => {
      if (message.type === 'batch') onBatch?.(message.table, message.rows)
      else if (message.type === 'objects') onObjects?.(message.count)
      else logger[message.level](message.obj, message.msg)
    })
    thread.on('error', (error) => logger.error({ err: error }, 'purge thread failed'))
    this.exited = new Promise((resolve) =>
      thread.once('exit', (code) => {
        this.thread = undefined
        resolve()
        // A thread that died on its own is replaced: the work it held is resumed once its leases expire.
        if (!this.stopping) {
          logger.error({ code }, 'purge thread exited; restarting it')
          setTimeout(() => this.stopping || this.start(), this.options.pollMs).unref()
        }
      }),
    )
    this.thread = thread
  }

  kick(): void {
    this.thread?.postMessage('kick')
  }

  /** Stops between batches and waits for the thread to close its connection and end. */
  async stop(): Promise<void> {
    this.stopping = true
    this.thread?.postMessage('stop')
    await this.exited
  }
}
