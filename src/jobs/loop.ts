import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { systemClock, type Clock } from '../core/clock.js'
import type { Logger } from '../core/logger.js'

// The one background runtime: every job (the purge, webhook delivery, exports, …) is a `Job` that says what one
// step does, run by a JobLoop that owns the rest — waking on a kick or at the next poll, backing off after
// failures, stopping between steps, and saying it is alive.

export interface Round {
  /**
   * Whether the loop woke because its poll ran out (or this is its first round, or the last one failed) rather
   * than because something in this process kicked it: work written by other processes, or falling due, may wait.
   */
  polled: boolean
  /** True once the loop is asked to stop: a long step ends between two of its batches. */
  shouldStop(): boolean
}

/** A name for this process in the leases it takes and in log lines: host, pid and a random part. */
export function workerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
}

export interface Job {
  /** For log lines: "purge", "delivery", … */
  readonly name: string
  /** The owner named in the leases this job takes (workerId()). */
  readonly id: string
  /** One round of work. Resolves whether there may be more to do at once (the loop then goes on without sleeping). */
  step(round: Round): Promise<boolean>
  /** Once the loop has ended: finish what is in flight (attempts being recorded, a file being rewritten). */
  stopped?(): Promise<void>
  /** Until nothing is left that can be done now (tests, one-shot runs); by default, steps until none has more. */
  drain?(): Promise<void>
}

export interface LoopOptions {
  /** How long an idle loop sleeps before it looks again. */
  pollMs: number
  /** The longest it sleeps after failed steps (the database restarting, say): the poll doubles up to this. */
  maxBackoffMs: number
  /** Kicks within this many milliseconds are one wake-up, so that under load one step serves many writes. */
  coalesceMs?: number
  /** How often the loop says it is alive, at debug level (default 30 s). */
  heartbeatMs?: number
  logger: Logger
  clock?: Clock
}

/** What the server and `orgspace worker` hold of a background job, in this thread or another. */
export interface Runner {
  start(): void
  /** Something may be waiting: look now rather than at the next poll. */
  kick(): void
  /** Stops between steps; resolves once the current step has ended and the job has finished what it holds. */
  stop(): Promise<void>
}

export class JobLoop implements Runner {
  private stopping = false
  private running: Promise<void> | undefined
  private wake: (() => void) | undefined
  private kicked = false
  private coalescing: NodeJS.Timeout | undefined
  private readonly clock: Clock

  constructor(
    protected readonly job: Job,
    private readonly options: LoopOptions,
  ) {
    this.clock = options.clock ?? systemClock
  }

  /** Whether the loop is asked to stop (for the job's long steps). */
  readonly shouldStop = (): boolean => this.stopping

  get id(): string {
    return this.job.id
  }

  start(): void {
    if (this.running) return
    this.stopping = false
    this.running = this.loop().finally(() => (this.running = undefined))
  }

  kick(): void {
    const delay = this.options.coalesceMs ?? 0
    if (delay === 0) return this.wakeUp()
    if (this.coalescing) return
    this.coalescing = setTimeout(() => {
      this.coalescing = undefined
      this.wakeUp()
    }, delay)
    this.coalescing.unref()
  }

  async stop(): Promise<void> {
    this.stopping = true
    clearTimeout(this.coalescing)
    this.wake?.()
    await this.running
    await this.job.stopped?.()
  }

  async drain(): Promise<void> {
    if (this.job.drain) return this.job.drain()
    while (await this.job.step({ polled: true, shouldStop: this.shouldStop })) {
      // keep going
    }
  }

  /** Wakes the loop at once, without gathering (see coalesceMs). */
  wakeNow(): void {
    this.wakeUp()
  }

  private wakeUp(): void {
    this.kicked = true
    this.wake?.()
  }

  private async loop(): Promise<void> {
    const { logger, pollMs, maxBackoffMs, heartbeatMs = 30_000 } = this.options
    let failures = 0
    let polled = true
    let lastHeartbeat = this.clock.now()
    let steps = 0
    while (!this.stopping) {
      let more = false
      try {
        more = await this.job.step({ polled, shouldStop: this.shouldStop })
        steps++
        failures = 0
      } catch (error) {
        failures++
        logger.warn({ err: error, worker: this.job.id }, `${this.job.name} worker step failed; will retry`)
      }
      if (this.clock.now() - lastHeartbeat >= heartbeatMs) {
        logger.debug({ worker: this.job.id, steps, failures }, `${this.job.name} worker alive`)
        lastHeartbeat = this.clock.now()
        steps = 0
      }
      if (more || this.stopping) {
        polled = false
        continue
      }
      const backoff = failures > 0 ? Math.min(pollMs * 2 ** failures, Math.max(pollMs, maxBackoffMs)) : pollMs
      // After a failure the next round looks at everything again, as after a poll.
      polled = (await this.sleep(backoff)) || failures > 0
    }
  }

  /** Resolves true when the sleep ran out, false when a kick woke it. */
  private sleep(ms: number): Promise<boolean> {
    if (this.kicked) {
      this.kicked = false
      return Promise.resolve(false)
    }
    return new Promise((resolve) => {
      const done = (ranOut: boolean) => {
        clearTimeout(timer)
        // Forget this sleep's waker, or a kick arriving during the next step would be swallowed by it.
        this.wake = undefined
        resolve(ranOut)
      }
      const timer = setTimeout(() => done(true), ms)
      timer.unref()
      this.wake = () => {
        this.kicked = false
        done(false)
      }
    })
  }
}
