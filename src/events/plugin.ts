import fp from 'fastify-plugin'
import { Counter, Gauge } from 'prom-client'
import type { Config } from '../config.js'
import { backgroundInThread, type Db } from '../db/connect.js'
import type { AddressPolicy, Resolver } from '../webhooks/address-policy.js'
import { endpointBacklog } from '../webhooks/queue.js'
import { instanceBacklog } from './instance-queue.js'
import { addressPolicy, deliveryOptions } from './options.js'
import { outboxBacklog } from '../outbox/repository.js'
import type { Outcome, Queue } from './attempts.js'
import type { Runner } from '../jobs/loop.js'
import { ThreadedDeliveryWorker } from './threaded-worker.js'
import { DeliveryWorker } from './worker.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The server's delivery worker; null when EVENT_WORKER=off (another process delivers). */
    deliveryWorker: Runner | null
    /** The address guard organizations' webhook URLs are held to. */
    webhookPolicy: AddressPolicy
  }
}

/** What every queue has pending, and since when, as the database sees it (whichever process delivers). */
async function backlog(db: Db) {
  const [outbox, endpoint, instance] = await Promise.all([
    outboxBacklog(db),
    endpointBacklog(db),
    instanceBacklog(db),
  ])
  return [
    { queue: 'outbox', ...outbox },
    { queue: 'endpoint', ...endpoint },
    ...instance.map(({ channel, ...rest }) => ({ queue: channel, ...rest })),
  ]
}

/**
 * Events in the server: the delivery worker (unless EVENT_WORKER=off), woken after every write the server
 * answers, and the event metrics in /metrics. `resolve` replaces DNS for the address guard (tests).
 */
export const eventsPlugin = fp<{ config: Config; resolve?: Resolver }>(
  async (app, { config, resolve }) => {
    const registers = [app.metrics.registry]
    const outcomes = new Counter({
      name: 'orgspace_event_deliveries_total',
      help: 'Delivery attempts by this process, by queue (endpoint, webhook = WEBHOOK_URL, email) and outcome',
      labelNames: ['queue', 'outcome'] as const,
      registers,
    })
    new Gauge({
      name: 'orgspace_events_pending',
      help: 'Events not yet dispatched (queue=outbox) and deliveries not yet made, by queue',
      labelNames: ['queue'] as const,
      registers,
      async collect() {
        for (const { queue, pending } of await backlog(app.db)) this.set({ queue }, pending)
      },
    })
    new Gauge({
      name: 'orgspace_events_oldest_pending_age_seconds',
      help: 'Age of the oldest pending event or delivery, by queue (0 when none)',
      labelNames: ['queue'] as const,
      registers,
      async collect() {
        for (const { queue, oldest } of await backlog(app.db))
          this.set({ queue }, oldest ? Math.max(0, (Date.now() - Date.parse(oldest)) / 1000) : 0)
      },
    })

    app.decorate('webhookPolicy', addressPolicy(config, resolve))
    if (config.EVENT_WORKER === 'off') {
      app.decorate('deliveryWorker', null)
      return
    }
    const hooks = {
      logger: app.log.child({ component: 'events' }),
      onOutcome: (queue: Queue, outcome: Outcome) => outcomes.inc({ queue, outcome }),
      onRelease: () => app.purgeWorker?.kick(),
    }
    // On a SQLite file, in a thread of its own (see threaded-worker.ts); not with a resolver replaced by a test,
    // which cannot be handed to a thread.
    const threaded = backgroundInThread(config.DATABASE_URL) && resolve === undefined
    const options = threaded ? null : deliveryOptions(config, hooks.logger, resolve)
    const worker: Runner = options
      ? new DeliveryWorker(app.db, { ...options, ...hooks })
      : new ThreadedDeliveryWorker(config, hooks)
    app.decorate('deliveryWorker', worker)
    // A write answered means its transaction committed: its event is there to dispatch now.
    app.addHook('onResponse', (request, reply, done) => {
      if (request.method !== 'GET' && reply.statusCode < 300) worker.kick()
      done()
    })
    app.addHook('onReady', async () => worker.start())
    app.addHook('preClose', async () => {
      await worker.stop()
      options?.close()
    })
  },
  { name: 'events', dependencies: ['database', 'metrics', 'purge-worker'] },
)
