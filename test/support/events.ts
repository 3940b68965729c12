import { ManualClock } from './clock.js'
import { loadConfig } from '../../src/config.js'
import { deliveryOptions } from '../../src/events/options.js'
import { DeliveryWorker } from '../../src/events/worker.js'
import type { Outcome, Queue } from '../../src/events/attempts.js'
import type { Resolver } from '../../src/webhooks/address-policy.js'
import type { TestApp } from './app.js'

// A delivery worker for tests, wired from configuration exactly as the server's, with a clock the test moves.

export const silent = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
}

export interface TestDeliveryWorker {
  worker: DeliveryWorker
  clock: ManualClock
  outcomes: Array<{ queue: Queue; outcome: Outcome }>
  /** Works until nothing is due at the clock's time. */
  drain(): Promise<void>
  close(): Promise<void>
}

/** `env`: WEBHOOK_URL, SMTP_URL… as the server would read them; receivers on 127.0.0.1 need the allow flag. */
export function testDeliveryWorker(
  t: TestApp,
  env: Record<string, string> = {},
  resolve?: Resolver,
): TestDeliveryWorker {
  const config = loadConfig({ WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_TIMEOUT_MS: '5000', ...env })
  const options = deliveryOptions(config, silent, resolve)
  const clock = new ManualClock()
  const outcomes: TestDeliveryWorker['outcomes'] = []
  const worker = new DeliveryWorker(t.db, {
    ...options,
    clock,
    onOutcome: (queue, outcome) => outcomes.push({ queue, outcome }),
  })
  return {
    worker,
    clock,
    outcomes,
    drain: () => worker.drain(),
    async close() {
      await worker.stop()
      options.close()
    },
  }
}
