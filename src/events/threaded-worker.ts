import type { Config } from '../config.js'
import { SupervisedThread, threadEntry } from '../supervised-thread.js'
import type { Logger } from '../core/logger.js'
import type { Outcome, Queue } from './attempts.js'
import type { ThreadData, ThreadMessage } from './thread.js'

export interface Deliverer {
  start(): void
  kick(): void
  stop(): Promise<void>
}

export interface ThreadHooks {
  logger: Logger
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
  private readonly thread: SupervisedThread<ThreadMessage>

  constructor(config: Config, { logger, onOutcome, onRelease }: ThreadHooks) {
    this.thread = new SupervisedThread<ThreadMessage>({
      name: 'delivery',
      entry: threadEntry(import.meta.url, 'delivery-thread'),
      workerData: { config } satisfies ThreadData,
      logger,
      restartMs: config.EVENT_POLL_MS,
      onMessage: (message) => {
        if (message.type === 'outcome') onOutcome(message.queue, message.outcome)
        else if (message.type === 'release') onRelease()
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

  /** Stops claiming and waits for the attempts in flight to be recorded and the thread to end. */
  stop(): Promise<void> {
    return this.thread.stop()
  }
}
