import { isoAt, type Clock } from '../core/clock.js'
import type { Answer, Claim, ClaimOutcome, IdempotencyStore } from '../core/idempotency.js'
import type { Db } from '../db/connect.js'
import { isId, newId } from '../db/ids.js'
import { findSlugHolder } from '../organizations/repository.js'
import { deleteClaim, deleteIfExpired, findKey, insertClaim, keepAnswer } from './repository.js'

// Idempotency-Key records (docs/api.md §14): a key is claimed in the database before its request runs, so two
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
        const row = {
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
        }
        const inserted = await insertClaim(db, row)
        if (inserted) return { kind: 'claimed', id, organizationId }
        const held = await findKey(db, claim.caller, claim.key)
        if (!held) continue
        if (held.expires_at <= isoAt(clock)) {
          await deleteIfExpired(db, held.id, isoAt(clock))
          continue
        }
        if (held.status === null || held.body === null) return { kind: 'running' }
        return {
          kind: 'kept',
          targetSha256: held.target_sha256,
          bodySha256: held.body_sha256,
          status: held.status,
          body: held.body,
        }
      }
      // The key changed hands twice meanwhile: another request with it is running now.
      return { kind: 'running' }
    },

    /**
     * Keeps the answer of the claim `id`. One that belongs to an organization is written under a lock its deletion
     * waits for (not its other writes), and only while it is live: so the organization's purge finds it, and an
     * answer completed after the deletion (a write racing it) leaves nothing of the organization behind.
     */
    async keep(id: string, answer: Answer): Promise<void> {
      const kept = {
        organizationId: answer.organizationId,
        bodySha256: answer.bodySha256,
        status: answer.status,
        body: answer.body,
        expiresAt: isoAt(clock, settings.ttlMs),
      }
      if (!(await keepAnswer(db, id, kept))) await deleteClaim(db, id)
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
