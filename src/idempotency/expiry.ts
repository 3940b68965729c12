import { isoAt, type Clock } from '../core/clock.js'
import type { Db } from '../db/connect.js'
import { deleteExpired } from './repository.js'

/** Rows removed per step: one short statement, so the step never holds the database for long. */
const BATCH = 500

/**
 * Background step: removes kept answers past IDEMPOTENCY_TTL_SECONDS, and claims whose request died before it
 * answered. True when it removed any (there may be more).
 */
export async function expireIdempotencyKeysStep(db: Db, clock: Clock): Promise<boolean> {
  return (await deleteExpired(db, isoAt(clock), BATCH)) > 0
}
