import type { Db } from '../db/connect.js'
import { findHolds, releaseTasks, WEBHOOK_HOLD } from '../deletion/task-holds.js'
import type { Logger } from '../core/logger.js'
import { isoAt, systemClock, type Clock } from '../core/clock.js'
import { JobLoop, workerId, type Job, type Round } from '../jobs/loop.js'
import type { Mailer } from '../mail/transport.js'
import { hasPendingDeliveriesOf, pruneDeliveryLog } from '../webhooks/queue.js'
import type { Sender } from '../webhooks/send.js'
import { dispatchEvents } from './dispatch.js'
import { expireInstanceDeliveries } from './instance-queue.js'
import { Recorder } from './recorder.js'
import { hasEventsOf } from '../outbox/repository.js'
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
  /** See LoopOptions.heartbeatMs. */
  heartbeatMs?: number
  /** Deliveries in flight at once. */
  concurrency: number
  /** How long one attempt may take; a claim lasts a little longer. */
  timeoutMs: number
  sender: Sender
  /** The instance endpoint (WEBHOOK_URL and its secret), if configured. */
  instance: { url: string; secret: string; sender: Sender } | null
  mailer: Mailer | null
  logger: Logger
  /** The one clock: when deliveries are due, claims expire and logs are pruned (tests move it). */
  clock?: Clock
  random?: () => number
  onOutcome?(queue: Queue, outcome: Outcome): void
  /** A purge hold was released: the purge may go on now. */
  onRelease?(): void
}

const DISPATCH_BATCH = 100
/**
 * How long a write's kick waits for others to join it (see kick()): under a steady stream of writes, fewer and larger
 * dispatch transactions beside the writers' own, for a webhook sent at most this much later.
 */
const COALESCE_MS = 100
/** How long an attempt's outcome waits to be written with the next dispatch (see Recorder): longer than one gathering. */
const RECORD_HOLD_MS = 250
const HOLD_CHECK_MS = 200
/** The longest an idle worker waits after failed steps. */
const MAX_BACKOFF_MS = 60_000
const PRUNE_EVERY_MS = 10 * 60_000
/** Finished deliveries stay in an endpoint's log (bodies too, so they can be retried) for this long. */
const DELIVERY_LOG_MS = 7 * 86_400_000
/** Past every retry schedule: an instance delivery this old belongs to a channel no process has configured. */
const INSTANCE_EXPIRY_MS = 2 * 86_400_000

/**
 * Dispatches the outbox and delivers: in the server (unless EVENT_WORKER=off) and in `orgspace worker`; any
 * number of workers may share a database (claims are leases, taken with SKIP LOCKED on PostgreSQL). A write in
 * the same process wakes it at once; otherwise it polls, which is how it finds events written by other
 * processes, by the purge, and retries falling due.
 */
export class DeliveryWorker extends JobLoop {
  constructor(db: Db, options: DeliveryWorkerOptions) {
    const job = new DeliveryJob(db, options, () => this.wakeNow())
    super(job, {
      pollMs: options.pollMs,
      maxBackoffMs: MAX_BACKOFF_MS,
      // Kicks are gathered, so that under load one dispatch takes the events of many writes — on PostgreSQL every
      // transaction is a commit to flush, and the writes' own commits should not have to queue behind ours.
      coalesceMs: COALESCE_MS,
      heartbeatMs: options.heartbeatMs,
      logger: options.logger,
      clock: options.clock,
    })
  }
}

class DeliveryJob implements Job {
  readonly name = 'delivery'
  readonly id = workerId()
  private readonly inFlight = new Set<Promise<void>>()
  /** The last claims took all they asked for: deliveries may be due and waiting for a free slot. */
  private waiting = false
  /** The next round also claims due deliveries (not only those it dispatches itself). */
  private claimDue = true
  private holdsCheckedAt = 0
  private prunedAt = 0
  private readonly attempts: Attempts
  private readonly clock: Clock

  constructor(
    private readonly db: Db,
    private readonly options: DeliveryWorkerOptions,
    /** Wakes the loop at once (an attempt ended while deliveries wait). */
    private readonly wakeUp: () => void,
  ) {
    this.clock = options.clock ?? systemClock
    this.attempts = {
      db,
      recorder: new Recorder(db, { holdMs: RECORD_HOLD_MS }),
      owner: this.id,
      clock: () => this.clock.now(),
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

  /** Once the loop has stopped claiming: the attempts in flight are recorded. */
  async stopped(): Promise<void> {
    this.attempts.recorder.hold(false)
    await Promise.all([...this.inFlight])
  }

  /** Works until nothing is due now and nothing is in flight. */
  async drain(): Promise<void> {
    this.attempts.recorder.hold(false)
    try {
      for (;;) {
        const { worked } = await this.round(true)
        await Promise.all([...this.inFlight])
        if (!worked) break
      }
    } finally {
      this.attempts.recorder.hold(true)
    }
    await this.releaseHolds(true)
  }

  /** A poll (the sleep running out) also looks for deliveries that have fallen due: retries, and what a dead
   * process had claimed. */
  async step({ polled }: Round): Promise<boolean> {
    const claim = this.claimDue || polled
    this.claimDue = false
    try {
      return (await this.round(claim)).more
    } catch (error) {
      this.claimDue = true
      throw error
    }
  }

  /**
   * One round: dispatch a batch, sending at once what it has free slots for, and with `claim` also start due
   * deliveries for the slots still free. `worked`: it did something; `more`: there may be more to do at once.
   * Otherwise the loop sleeps until a write in this process or an attempt ending (while deliveries wait) wakes
   * it, or the next poll. An idle round costs reads, never a write transaction.
   */
  private async round(claim: boolean): Promise<{ worked: boolean; more: boolean }> {
    const now = this.clock.now()
    const channels = { instance: this.options.instance !== null, email: this.options.mailer !== null }
    const free = () => this.options.concurrency - this.inFlight.size
    const slots = free()
    const dispatched = await dispatchEvents(this.db, channels, new Date(now).toISOString(), DISPATCH_BATCH, {
      owner: this.id,
      leaseUntil: new Date(now + this.attempts.leaseMs).toISOString(),
      slots,
      alongside: (trx) => this.attempts.recorder.writeWaiting(trx),
    })
    let started = this.track([
      ...dispatched.endpoint.map((d) => attemptEndpoint(this.attempts, d)),
      ...dispatched.instance.map((d) => attemptInstance(this.attempts, d)),
    ])
    // New deliveries beyond the free slots were left due: the next attempt to end should make room for them.
    const leftDue = dispatched.events > 0 && started >= slots
    if (leftDue) this.waiting = true
    if (claim) {
      // A claim that got all it asked for may have left more due. Noted as soon as it is known: an attempt may
      // end before this round does (on PostgreSQL the next claim takes round trips), and must then find the note.
      let full = false
      let asked = false
      const take = async (limit: number, claimSome: (limit: number) => Promise<Promise<void>[]>) => {
        if (limit <= 0) return
        asked = true
        const sends = await claimSome(limit)
        if (sends.length >= limit) full = this.waiting = true
        started += this.track(sends)
      }
      // The free slots are shared, so that a backlog in one queue does not starve the other.
      await take(Math.ceil(free() / 2), (n) => sendEndpointDeliveries(this.attempts, n))
      await take(free(), (n) => sendInstanceDeliveries(this.attempts, n))
      await take(free(), (n) => sendEndpointDeliveries(this.attempts, n))
      // Without a free slot nothing was asked, and nothing learned: what waited still waits.
      if (asked) this.waiting = full || leftDue
    }
    await this.releaseHolds(false)
    await this.prune()
    // Slots freed while this round ran, with deliveries waiting: claim again at once rather than sleep.
    const room = this.waiting && free() > 0
    if (room) this.claimDue = true
    return {
      worked: dispatched.events > 0 || started > 0,
      more: dispatched.events === DISPATCH_BATCH || room,
    }
  }

  /** Follows attempts in flight; each one that ends frees a slot, and wakes the loop if deliveries wait. */
  private track(sends: Promise<void>[]): number {
    for (const send of sends) {
      const tracked = send.finally(() => {
        this.inFlight.delete(tracked)
        if (!this.waiting) return
        this.claimDue = true
        this.wakeUp()
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
    if (!force && this.clock.now() - this.holdsCheckedAt < HOLD_CHECK_MS) return
    this.holdsCheckedAt = this.clock.now()
    for (const hold of await findHolds(this.db, WEBHOOK_HOLD, isoAt(this.clock))) {
      if (await hasEventsOf(this.db, hold.organizationId)) continue
      if (await hasPendingDeliveriesOf(this.db, hold.organizationId)) continue
      await releaseTasks(this.db, hold.deletionId, WEBHOOK_HOLD)
      this.options.logger.info({ deletion: hold.deletionId }, 'webhook endpoints served; purge released')
      this.options.onRelease?.()
    }
  }

  private async prune(): Promise<void> {
    if (this.clock.now() - this.prunedAt < PRUNE_EVERY_MS) return
    this.prunedAt = this.clock.now()
    const now = this.clock.now()
    await pruneDeliveryLog(this.db, new Date(now - DELIVERY_LOG_MS).toISOString())
    await expireInstanceDeliveries(this.db, new Date(now - INSTANCE_EXPIRY_MS).toISOString())
  }
}
