import { isoAt, type Clock } from '../core/clock.js'
import type { Answer, Claim, ClaimOutcome, IdempotencyStore } from '../core/idempotency.js'
import type { Db } from '../db/connect.js'
import { isId, newId } from '../db/ids.js'
import { findSlugHolder, lockLiveOrganization } from '../organizations/repository.js'
import { deleteClaim, deleteIfExpired, findKey, insertClaim, keepAnswer } from './repository.js'

// Idempotency-Key records (CONTRACT §14): a key is claimed in the database before its request runs, so two
// processes sharing PostgreSQL see the same claim, and the first answer under 500 is kept on it.

export interface IdempotencySettings {
  /** How long a kept answer is replayed (IDEMPOTENCY_TTL_SECONDS). */
  ttlMs: number
  /** How long a claim whose request never answered (its process died) blocks the key. */
  leaseMs: number
}

export function idempotencyStore(db: Db, clock: Clock, settings: IdempotencySettings): IdempotencyStore {
  return {
    async claim(claim: Claim): Promise<ClaimOutcome> {
      const organizationId = await organizationIdOf(db, claim.organization)
      // Two rounds at most: an expired row found in the first is removed, and the key claimed in the second.
      for (let round = 0; round < 2; round++) {
        const id = newId(clock.now())
        const inserted = await insertClaim(db, {
          id,
          caller: claim.caller,
          idempotency_key: claim.key,
          organization_id: null,
          target_sha256: claim.targetSha256,
          body_sha256: claim.bodySha256,
          status: null,
          body: null,
          created_at: isoAt(clock),
          expires_at: isoAt(clock, settings.leaseMs),
        })
        if (inserted) return { kind: 'claimed', id, organizationId }
        const row = await findKey(db, claim.caller, claim.key)
        if (!row) continue
        if (row.expires_at <= isoAt(clock)) {
          await deleteIfExpired(db, row.id, isoAt(clock))
          continue
        }
        if (row.status === null || row.body === null) return { kind: 'running' }
        return {
          kind: 'kept',
          targetSha256: row.target_sha256,
          bodySha256: row.body_sha256,
          status: row.status,
          body: row.body,
        }
      }
      // The key changed hands twice meanwhile: another request with it is running now.
      return { kind: 'running' }
    },

    /**
     * Keeps the answer of the claim `id`. One that belongs to an organization is written under its write lock, and
     * only while it is live: so the organization's purge finds it, and an answer completed after the deletion (a
     * write racing it) leaves nothing of the organization behind.
     */
    async keep(id: string, answer: Answer): Promise<void> {
      const kept = {
        organizationId: answer.organizationId,
        bodySha256: answer.bodySha256,
        status: answer.status,
        body: answer.body,
        expiresAt: isoAt(clock, settings.ttlMs),
      }
      const { organizationId } = answer
      if (organizationId === null) return keepAnswer(db, id, kept)
      const live = await db.transaction().execute(async (trx) => {
        if (!(await lockLiveOrganization(trx, organizationId))) return false
        await keepAnswer(trx, id, kept)
        return true
      })
      if (!live) await deleteClaim(db, id)
    },

    /** Frees the key: the request failed (5xx) or its answer is not to be kept. */
    async release(id: string): Promise<void> {
      await deleteClaim(db, id)
    },
  }
}

/** The live organization an id or slug names now; a slug is resolved before the request may change it. */
async function organizationIdOf(db: Db, ref: string | null): Promise<string | null> {
  if (ref === null) return null
  if (isId(ref)) return ref.toLowerCase()
  const holder = await findSlugHolder(db, ref.toLowerCase())
  return holder?.status === 'active' ? holder.id : null
}
