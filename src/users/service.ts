import type { Db } from '../db/connect.js'
import { newId, nowIso } from '../db/ids.js'
import type { User } from '../db/types.js'
import { findUserByEmail, insertUserUnlessTaken } from './repository.js'

/**
 * Finds the user with this email or creates it. Emails are stored lower-case. Two callers racing on one new
 * email both end with the same user: the loser of the unique index re-reads the winner's row.
 */
export async function findOrCreateUser(
  db: Db,
  email: string,
  name?: string,
): Promise<{ user: User; created: boolean }> {
  const normalized = email.trim().toLowerCase()
  const existing = await findUserByEmail(db, normalized)
  if (existing) return { user: existing, created: false }
  const user: User = { id: newId(), email: normalized, name: name ?? '', created_at: nowIso() }
  if (await insertUserUnlessTaken(db, user)) return { user, created: true }
  const winner = await findUserByEmail(db, normalized)
  if (!winner) throw new Error('user vanished after a conflicting insert')
  return { user: winner, created: false }
}
