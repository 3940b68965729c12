import { Worker } from 'node:worker_threads'
import type { Config } from '../config.js'
import type { WorkerLogger } from '../deletion/worker.js'
import type { Outcome, Queue } from './attempts.js'
import type { ThreadData, ThreadMessage } from './thread.js'

// Compiled (dist/), the thread runs thread.js itself; from source (tests, `npm run dev`) thread-entry.js registers
// tsx in the thread first, as for the purge thread (deletion/threaded-worker.ts).
const THREAD_ENTRY = new URL(
  import.meta.url.endsWith('.ts') ? './thread-entry.js' : './thread.js',
  import.meta.url,
)

export interface Deliverer {
  start(): void
  kick(): void
  stop(): Promise<void>
}

export interface ThreadHooks {
  logger: WorkerLogger
  onOutcome(queue: Queue, outcome: Outcome): void
  onRelease(): void
}

/**
 * The delivery worker, on SQLite, in a thread of its own, on a connection of its own. better-sqlite3 is
 * synchronous: in the server's thread every dispatch and every recorded outcome stops the event loop, and the
 * writes of an organization with a subscribed endpoint waited behind them (scenario 9 of the benchmarks: write
 * p99 ×9 that of an organization without endpoints). In its own thread it only competes for the write lock.
 * Same interface as DeliveryWorker; a thread that dies on its own is restarted (what it had claimed is retried
 * once its claims run out).
 */
export class ThreadedDeliveryWorker implements Deliverer {
  private thread: Worker | undefined
  private exited: Promise<void> = Promise.resolve()
  private stopping = false

  constructor(
    private readonly config: Config,
    private readonly hooks: ThreadHooks,
  ) {}

  start(): void {
    if (this.thread) return
    this.stopping = false
    const { logger } = this.hooks
    const thread = new Worker(THREAD_ENTRY, {
      workerData: { config: this.config } satisfies ThreadData,
      execArgv: [],
    })
    thread.on('message', (message: ThreadMessage) => {
      if (message.type === 'outcome') this.hooks.onOutcome(message.queue, message.outcome)
      else if (message.type === 'release') this.hooks.onRelease()
      else logger[message.level](message.obj, message.msg)
    })
    thread.on('error', (error) => logger.error({ err: error }, 'delivery thread failed'))
    this.exited = new Promise((resolve) =>
      thread.once('exit', (code) => {
        this.thread = undefined
        resolve()
        if (!this.stopping) {
          logger.error({ code }, 'delivery thread exited; restarting it')
          setTimeout(() => this.stopping || this.start(), this.config.EVENT_POLL_MS).unref()
        }
      }),
    )
    this.thread = thread
  }

  kick(): void {
    this.thread?.postMessage('kick')
  }

  /** Stops claiming and waits for the attempts in flight to be recorded and the thread to end. */
  async stop(): Promise<void> {
    this.stopping = true
    this.thread?.postMessage('stop')
    await this.exited
  }
}
