import type { Clock } from '../../src/core/clock.js'

/**
 * The clock tests move: real time plus whatever the test has skipped ahead, so that rows the app stamps
 * meanwhile stay in step. A test makes time pass with `advance`, never by sleeping.
 */
export class ManualClock implements Clock {
  private skipped = 0
  now(): number {
    return Date.now() + this.skipped
  }
  advance(ms: number): void {
    this.skipped += ms
  }
}
