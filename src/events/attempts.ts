import type { Db } from '../db/connect.js'
import type { Logger } from '../core/logger.js'
import type { MailMessage } from '../mail/messages.js'
import type { Mailer } from '../mail/transport.js'
import type { Recorder } from './recorder.js'
import {
  claimEndpointDeliveries,
  recordEndpointAttempt,
  type ClaimedEndpointDelivery,
} from '../webhooks/queue.js'
import { retryDelay } from '../webhooks/schedule.js'
import type { AttemptResult, Sender } from '../webhooks/send.js'
import { signedHeaders } from '../webhooks/signing.js'
import {
  claimInstanceDeliveries,
  finishInstanceDelivery,
  rescheduleInstanceDelivery,
  type ClaimedInstanceDelivery,
} from './instance-queue.js'

// Delivery attempts: claim due deliveries, send each (signed webhook, or email), record what happened. Logs name
// the event, the queue and what went wrong — never a body, a header, a secret or an endpoint's URL (which may
// carry a token of its own).

export type Queue = 'endpoint' | 'webhook' | 'email'
export type Outcome = 'delivered' | 'retrying' | 'failed' | 'disabled'

export interface Attempts {
  db: Db
  recorder: Recorder
  owner: string
  clock(): number
  random(): number
  leaseMs: number
  sender: Sender
  instance: { url: string; secret: string; sender: Sender } | null
  mailer: Mailer | null
  logger: Logger
  onOutcome(queue: Queue, outcome: Outcome): void
}

const iso = (ms: number) => new Date(ms).toISOString()

/** The signed POST of one event. Its timestamp is the wall clock: receivers check it against their own. */
function postSigned(sender: Sender, url: string, secret: string, eventId: string, body: string) {
  const timestamp = Math.floor(Date.now() / 1000)
  return sender.post(url, signedHeaders(secret, eventId, timestamp, body), body)
}

const delivered = (result: AttemptResult) => result.error === null

/** Claims up to `limit` due endpoint deliveries and starts them; returns the attempts in flight. */
export async function sendEndpointDeliveries(a: Attempts, limit: number): Promise<Promise<void>[]> {
  const now = a.clock()
  const claimed = await claimEndpointDeliveries(a.db, a.owner, iso(now), iso(now + a.leaseMs), limit)
  return claimed.map((delivery) => attemptEndpoint(a, delivery))
}

/** Sends one claimed endpoint delivery and records the outcome. */
export async function attemptEndpoint(a: Attempts, delivery: ClaimedEndpointDelivery): Promise<void> {
  const log = { event: delivery.event_id, endpoint: delivery.endpoint_id, attempt: delivery.attempt }
  try {
    const result = await postSigned(a.sender, delivery.url, delivery.secret, delivery.event_id, delivery.body)
    const now = a.clock()
    const gone = result.status === 410
    const delay = delivered(result) || gone ? null : retryDelay(delivery.attempt, a.random)
    const outcome: Outcome = delivered(result)
      ? 'delivered'
      : gone
        ? 'disabled'
        : delay === null
          ? 'failed'
          : 'retrying'
    const recorded = await a.recorder.record((trx) =>
      recordEndpointAttempt(
        trx,
        delivery,
        a.owner,
        {
          status: outcome === 'delivered' ? 'delivered' : outcome === 'retrying' ? 'pending' : 'failed',
          responseStatus: result.status,
          durationMs: result.durationMs,
          error: result.error,
          nextAttemptAt: delay === null ? null : iso(now + delay),
        },
        iso(now),
        gone ? 'the endpoint answered 410 Gone' : null,
      ),
    )
    if (!recorded) return
    a.onOutcome('endpoint', outcome)
    if (outcome === 'disabled') a.logger.info(log, 'webhook endpoint answered 410 Gone: disabled')
    else if (outcome === 'failed')
      a.logger.warn({ ...log, error: result.error }, 'webhook delivery failed; giving up')
  } catch (error) {
    // The attempt could not be recorded (the database went away): the claim expires and it is tried again.
    a.logger.warn({ ...log, err: error }, 'could not record a webhook delivery attempt')
  }
}

/** Claims up to `limit` due instance deliveries (webhook, email) of the configured channels and starts them. */
export async function sendInstanceDeliveries(a: Attempts, limit: number): Promise<Promise<void>[]> {
  const channels = [...(a.instance ? (['webhook'] as const) : []), ...(a.mailer ? (['email'] as const) : [])]
  const now = a.clock()
  const claimed = await claimInstanceDeliveries(
    a.db,
    channels,
    a.owner,
    iso(now),
    iso(now + a.leaseMs),
    limit,
  )
  return claimed.map((delivery) => attemptInstance(a, delivery))
}

/** Sends one claimed instance delivery (webhook or email) and records the outcome. */
export async function attemptInstance(a: Attempts, delivery: ClaimedInstanceDelivery): Promise<void> {
  const queue: Queue = delivery.channel
  const log = { event: delivery.event_id, type: delivery.event_type, queue, attempt: delivery.attempt }
  try {
    const result = await (delivery.channel === 'email'
      ? sendMail(a, delivery)
      : sendInstanceWebhook(a, delivery))
    // The instance endpoint is configuration, not something a 410 can switch off: it ends this delivery only.
    const gone = delivery.channel === 'webhook' && result.status === 410
    const delay = delivered(result) || gone ? null : retryDelay(delivery.attempt, a.random)
    if (delay === null) {
      await a.recorder.record((trx) => finishInstanceDelivery(trx, delivery, a.owner))
      const outcome: Outcome = delivered(result) ? 'delivered' : 'failed'
      a.onOutcome(queue, outcome)
      if (outcome === 'failed')
        a.logger.warn({ ...log, error: result.error }, `${queue} delivery failed; giving up`)
      return
    }
    const retryAt = iso(a.clock() + delay)
    await a.recorder.record((trx) =>
      rescheduleInstanceDelivery(trx, delivery, a.owner, retryAt, result.status, result.error ?? 'failed'),
    )
    a.onOutcome(queue, 'retrying')
    a.logger.info({ ...log, error: result.error }, `${queue} delivery failed; will retry`)
  } catch (error) {
    a.logger.warn({ ...log, err: error }, `could not record a ${queue} delivery attempt`)
  }
}

function sendInstanceWebhook(a: Attempts, delivery: ClaimedInstanceDelivery): Promise<AttemptResult> {
  if (!a.instance) throw new Error('no instance endpoint configured')
  return postSigned(a.instance.sender, a.instance.url, a.instance.secret, delivery.event_id, delivery.body)
}

/** Mail trouble is an attempt that failed like any other: it delays the mail, and blocks nothing else. */
async function sendMail(a: Attempts, delivery: ClaimedInstanceDelivery): Promise<AttemptResult> {
  if (!a.mailer) throw new Error('no mail server configured')
  const started = Date.now()
  try {
    await a.mailer.send(JSON.parse(delivery.body) as MailMessage)
    return { status: null, durationMs: Date.now() - started, error: null }
  } catch (error) {
    const code = (error as { code?: unknown }).code
    return {
      status: null,
      durationMs: Date.now() - started,
      error: `mail not accepted${typeof code === 'string' ? ` (${code})` : ''}`,
    }
  }
}
