/**
 * The one source of time. Every decision that depends on time (leases, back-off, expiry, grace periods,
 * retention) asks a Clock handed to it, so tests move time instead of sleeping.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number
}

export const systemClock: Clock = { now: () => Date.now() }

/** The clock's time as the ISO-8601 text the database stores. */
export function isoAt(clock: Clock, offsetMs = 0): string {
  return new Date(clock.now() + offsetMs).toISOString()
}
