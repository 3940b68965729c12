import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { Db } from '../db/connect.js'
import { nowIso } from '../db/ids.js'
import { findHolds, releaseTasks, WEBHOOK_HOLD } from '../deletion/holds.js'
import type { WorkerLogger } from '../deletion/worker.js'
import type { Mailer } from '../mail/transport.js'
import { hasPendingDeliveriesOf, pruneDeliveryLog } from '../webhooks/queue.js'
import type { Sender } from '../webhooks/send.js'
import { dispatchEvents } from './dispatch.js'
import { expireInstanceDeliveries } from './instance-queue.js'
import { Recorder } from './recorder.js'
import { hasEventsOf } from './repository.js'
import {
  attemptEndpoint,
  attemptInstance,
  sendEndpointDeliveries,
  sendInstanceDeliveries,
  type Attempts,
  type Outcome,
  type Queue,
} from './attempts.js'

export interface DeliveryWorkerOptions {
  pollMs: number
  /** Deliveries in flight at once. */
  concurrency: number
  /** How long one attempt may take; a claim lasts a little longer. */
  timeoutMs: number
  sender: Sender
  /** The instance endpoint (WEBHOOK_URL and its secret), if configured. */
  instance: { url: string; secret: string; sender: Sender } | null
  mailer: Mailer | null
  logger: WorkerLogger
  /** When deliveries are due: injectable so tests can move time on instead of waiting. */
  clock?: () => number
  random?: () => number
  onOutcome?(queue: Queue, outcome: Outcome): void
  /** A purge hold was released: the purge may go on now. */
  onRelease?(): void
}

const DISPATCH_BATCH = 100
const HOLD_CHECK_MS = 200
const PRUNE_EVERY_MS = 10 * 60_000
/** Finished deliveries stay in an endpoint's log (bodies too, so they can be retried) for this long. */
export const DELIVERY_LOG_MS = 7 * 86_400_000
/** Past every retry schedule: an instance delivery this old belongs to a channel no process has configured. */
const INSTANCE_EXPIRY_MS = 2 * 86_400_000

/**
 * Dispatches the outbox and delivers: in the server (unless EVENT_WORKER=off) and in `orgspace worker`; any
 * number of workers may share a database (claims are leases, taken with SKIP LOCKED on PostgreSQL). A write in
 * the same process wakes it at once; otherwise it polls, which is how it finds events written by other
 * processes, by the purge, and retries falling due.
 */
export class DeliveryWorker {
  readonly id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
  private stopping = false
  private looping = false
  private running: Promise<void> | undefined
  private wake: (() => void) | undefined
  private kicked = false
  private readonly inFlight = new Set<Promise<void>>()
  /** Every slot was taken at the last round: an attempt ending may let a waiting delivery go. */
  private saturated = false
  private holdsCheckedAt = 0
  private prunedAt = 0
  private readonly attempts: Attempts

  constructor(
    private readonly db: Db,
    private readonly options: DeliveryWorkerOptions,
  ) {
    const clock = options.clock ?? Date.now
    this.attempts = {
      db,
      recorder: new Recorder(db),
      owner: this.id,
      clock,
      random: options.random ?? Math.random,
      // Long enough for an attempt and its record, even on a busy database; a process that dies holding a
      // claim delays that delivery by this much.
      leaseMs: options.timeoutMs * 2 + 5_000,
      sender: options.sender,
      instance: options.instance,
      mailer: options.mailer,
      logger: options.logger,
      onOutcome: (queue, outcome) => options.onOutcome?.(queue, outcome),
    }
  }

  start(): void {
    if (this.looping) return
    this.stopping = false
    this.looping = true
    this.running = this.loop().finally(() => (this.looping = false))
  }

  /** Something may be waiting: look now rather than at the next poll. */
  kick(): void {
    this.kicked = true
    this.wake?.()
  }

  /** Stops claiming; resolves once the attempts in flight have been recorded. */
  async stop(): Promise<void> {
    this.stopping = true
    this.wake?.()
    await this.running
    await Promise.all([...this.inFlight])
  }

  /** Works until nothing is due now and nothing is in flight (tests, one-shot runs). */
  async drain(): Promise<void> {
    for (;;) {
      const { worked } = await this.step()
      await Promise.all([...this.inFlight])
      if (!worked) break
    }
    await this.releaseHolds(true)
  }

  private async loop(): Promise<void> {
    let failures = 0
    while (!this.stopping) {
      let more = false
      try {
        ;({ more } = await this.step())
        failures = 0
      } catch (error) {
        failures++
        this.options.logger.warn({ err: error, worker: this.id }, 'delivery worker step failed; will retry')
      }
      if (!more && !this.stopping) await this.sleep(Math.min(this.options.pollMs * 2 ** failures, 60_000))
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.kicked) {
      this.kicked = false
      return Promise.resolve()
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.wake = undefined
        resolve()
      }
      const timer = setTimeout(done, ms)
      timer.unref()
      this.wake = () => {
        this.kicked = false
        done()
      }
    })
  }

  /**
   * One round: dispatch a batch, start as many due deliveries as there are free slots. `worked`: it did
   * something; `more`: there may be more to do at once. Otherwise the loop sleeps until a write in this process
   * or an attempt ending wakes it, or the next poll: an idle round costs reads, never a write transaction.
   */
  private async step(): Promise<{ worked: boolean; more: boolean }> {
    const now = this.attempts.clock()
    const channels = { instance: this.options.instance !== null, email: this.options.mailer !== null }
    const free = () => this.options.concurrency - this.inFlight.size
    const dispatched = await dispatchEvents(this.db, channels, new Date(now).toISOString(), DISPATCH_BATCH, {
      owner: this.id,
      leaseUntil: new Date(now + this.attempts.leaseMs).toISOString(),
      slots: free(),
    })
    let started = this.track([
      ...dispatched.endpoint.map((d) => attemptEndpoint(this.attempts, d)),
      ...dispatched.instance.map((d) => attemptInstance(this.attempts, d)),
    ])
    // The free slots are shared, so that a backlog in one queue does not starve the other.
    if (free() > 0) started += this.track(await sendEndpointDeliveries(this.attempts, Math.ceil(free() / 2)))
    if (free() > 0) started += this.track(await sendInstanceDeliveries(this.attempts, free()))
    if (free() > 0) started += this.track(await sendEndpointDeliveries(this.attempts, free()))
    await this.releaseHolds(false)
    await this.prune()
    // Free slots left after claiming mean nothing else is due; none left, and an attempt ending wakes the loop.
    this.saturated = free() <= 0
    return {
      worked: dispatched.events > 0 || started > 0,
      more: dispatched.events === DISPATCH_BATCH,
    }
  }

  /** Follows attempts in flight; each one that ends frees a slot and wakes the loop. */
  private track(sends: Promise<void>[]): number {
    for (const send of sends) {
      const tracked = send.finally(() => {
        this.inFlight.delete(tracked)
        if (this.saturated) this.kick()
      })
      this.inFlight.add(tracked)
    }
    return sends.length
  }

  /**
   * Lets the purge of a deleted organization's webhooks go on as soon as its endpoints have nothing pending: its
   * events are dispatched and its deliveries delivered or given up (see events/lifecycle.ts).
   */
  private async releaseHolds(force: boolean): Promise<void> {
    if (!force && Date.now() - this.holdsCheckedAt < HOLD_CHECK_MS) return
    this.holdsCheckedAt = Date.now()
    for (const hold of await findHolds(this.db, WEBHOOK_HOLD, nowIso())) {
      if (await hasEventsOf(this.db, hold.organizationId)) continue
      if (await hasPendingDeliveriesOf(this.db, hold.organizationId)) continue
      await releaseTasks(this.db, hold.deletionId, WEBHOOK_HOLD)
      this.options.logger.info({ deletion: hold.deletionId }, 'webhook endpoints served; purge released')
      this.options.onRelease?.()
    }
  }

  private async prune(): Promise<void> {
    if (Date.now() - this.prunedAt < PRUNE_EVERY_MS) return
    this.prunedAt = Date.now()
    const now = this.attempts.clock()
    await pruneDeliveryLog(this.db, new Date(now - DELIVERY_LOG_MS).toISOString())
    await expireInstanceDeliveries(this.db, new Date(now - INSTANCE_EXPIRY_MS).toISOString())
  }
}
