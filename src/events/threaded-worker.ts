import type { Config } from '../config.js'
import type { Logger } from '../core/logger.js'
import { ThreadedRunner } from '../jobs/thread.js'
import type { Outcome, Queue } from './attempts.js'
import type { ThreadData, ThreadMessage } from './thread.js'

export interface ThreadHooks {
  logger: Logger
  onOutcome(queue: Queue, outcome: Outcome): void
  onRelease(): void
}

/**
 * The delivery worker, on SQLite, in a thread of its own (jobs/thread.ts): in the server's thread every dispatch
 * and every recorded outcome would stop the event loop, and the writes of an organization with a subscribed
 * endpoint waited behind them (BENCHMARKS.md, scenario 9).
 */
export class ThreadedDeliveryWorker extends ThreadedRunner<ThreadMessage> {
  constructor(config: Config, { logger, onOutcome, onRelease }: ThreadHooks) {
    super({
      name: 'delivery',
      module: new URL('./thread.ts', import.meta.url),
      compiled: 'delivery-thread',
      workerData: { config } satisfies ThreadData,
      logger,
      restartMs: config.EVENT_POLL_MS,
      onMessage: (message) => {
        if (message.type === 'outcome') onOutcome(message.queue, message.outcome)
        else onRelease()
      },
    })
  }
}
