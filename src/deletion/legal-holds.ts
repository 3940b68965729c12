import type { Db } from '../db/connect.js'
import { isId, nowIso } from '../db/ids.js'
import { OperatorRefused } from './operator.js'
import { lockOpenDeletionOf } from './repository.js'
import { listLegalHolds, lockAnyOrganization, setLegalHold } from '../organizations/repository.js'

// Legal holds (docs/api.md §8), placed and released by operators only (`npx orgspace hold …`): while an organization
// is held, DELETE answers 5112 and a scheduled deletion of it does not start its purge.

const refOf = (ref: string) => (isId(ref) ? { id: ref.toLowerCase() } : { slug: ref.toLowerCase() })

/**
 * Places a hold on the organization named by id or slug (a live one, or one whose deletion is still scheduled).
 * The organization row and its open receipt are locked, as DELETE and the purge's start lock them, so a hold
 * never lands on an organization whose purge has begun.
 */
export async function placeLegalHold(db: Db, ref: string, reason: string) {
  return db.transaction().execute(async (trx) => {
    const org = await lockAnyOrganization(trx, refOf(ref))
    if (!org) throw new OperatorRefused(`no organization "${ref}"`)
    if (org.status === 'deleting') {
      const deletion = await lockOpenDeletionOf(trx, org.id)
      if (deletion?.status !== 'scheduled')
        throw new OperatorRefused(`the purge of "${ref}" has already started; it cannot be held`)
    }
    await setLegalHold(trx, org.id, reason, nowIso())
    return { id: org.id, slug: org.slug, name: org.name }
  })
}

export async function releaseLegalHold(db: Db, ref: string) {
  return db.transaction().execute(async (trx) => {
    const org = await lockAnyOrganization(trx, refOf(ref))
    if (!org) throw new OperatorRefused(`no organization "${ref}"`)
    if (org.legal_hold_reason === null) throw new OperatorRefused(`"${ref}" is not under legal hold`)
    await setLegalHold(trx, org.id, null, nowIso())
    return { id: org.id, slug: org.slug, name: org.name }
  })
}

export async function legalHolds(db: Db) {
  return (await listLegalHolds(db)).map((org) => ({
    id: org.id,
    slug: org.slug,
    name: org.name,
    deleted: org.status === 'deleting',
    reason: org.legal_hold_reason ?? '',
    since: org.legal_hold_at ?? '',
  }))
}
