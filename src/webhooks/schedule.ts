// When a failed delivery is tried again: Standard Webhooks' recommended shape — quick retries for a blip, then
// hours apart for an outage — over about a day. Each delay is jittered by ±20 %, so that the deliveries an
// outage held back do not all come back at the same instant.
//
//   attempt:  1      2      3      4       5     6     7      8
//   after:    now    5 s    5 min  30 min  2 h   5 h   10 h   10 h   (≈ 27.6 h from the first to the last)

const SECOND = 1_000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE

/** The delay before attempt n + 2, for n = 0 … 6. */
export const RETRY_DELAYS_MS: readonly number[] = [
  5 * SECOND,
  5 * MINUTE,
  30 * MINUTE,
  2 * HOUR,
  5 * HOUR,
  10 * HOUR,
  10 * HOUR,
]

export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1

/** Milliseconds to wait after `attemptsMade` failed attempts; null once the last one has failed. */
export function retryDelay(attemptsMade: number, random: () => number = Math.random): number | null {
  const base = RETRY_DELAYS_MS[attemptsMade - 1]
  if (base === undefined) return null
  return Math.round(base * (0.8 + 0.4 * random()))
}
