import type { Db } from '../db/connect.js'
import { newId } from '../db/ids.js'
import { liveOrganizationIds, lockAnyOrganization, markDeleting } from '../organizations/repository.js'
import { enqueueOrganizationRemoval } from '../storage/removals.js'
import type { Ledger, Tombstone } from './ledger.js'
import { tombstonedDeletions } from './proof-repository.js'
import { newReceipt } from './command.js'
import { insertDeletion } from './repository.js'
import { tenantTables } from './tables.js'

// Replay (docs/api.md §12): the ledger compared with the database. A database restored from a backup taken before a
// deletion holds the organization again; its tombstone says it must go. Every `serve` and `worker` replays before
// it accepts requests or work, and `orgspace ledger check` / `ledger replay` do the same on demand.

export interface LedgerDifference {
  /**
   * `organization_exists`: a tombstone names an organization the database holds, not being deleted (a restored
   * backup); `tombstone_missing`: a deletion whose purge started has no tombstone in the ledger.
   */
  kind: 'organization_exists' | 'tombstone_missing'
  tombstone: Tombstone
}

/** Organization ids per existence query: far below both databases' limits on bound parameters. */
const CHUNK = 5000

export async function compareLedger(
  db: Db,
  ledger: Ledger,
): Promise<{ tombstones: number; differences: LedgerDifference[] }> {
  const tombstones = await ledger.tombstones()
  // The latest tombstone of each organization: a replayed deletion writes one of its own.
  const latest = new Map<string, Tombstone>()
  for (const tombstone of tombstones) {
    const seen = latest.get(tombstone.organizationId)
    if (!seen || seen.requestedAt < tombstone.requestedAt) latest.set(tombstone.organizationId, tombstone)
  }
  const ids = [...latest.keys()]
  const differences: LedgerDifference[] = []
  for (let i = 0; i < ids.length; i += CHUNK) {
    for (const id of await liveOrganizationIds(db, ids.slice(i, i + CHUNK))) {
      const tombstone = latest.get(id)
      if (tombstone) differences.push({ kind: 'organization_exists', tombstone })
    }
  }
  const inLedger = new Set(tombstones.map((t) => t.deletionId))
  for (const deletion of await tombstonedDeletions(db)) {
    if (inLedger.has(deletion.id)) continue
    differences.push({
      kind: 'tombstone_missing',
      tombstone: {
        deletionId: deletion.id,
        organizationId: deletion.organization_id,
        requestedBy: deletion.requested_by,
        requestedAt: deletion.requested_at,
      },
    })
  }
  return { tombstones: tombstones.length, differences }
}

export interface Replayed {
  deletionId: string
  replayOf: string
  organizationId: string
}

/**
 * Deletes again, at once for every reader, each organization a tombstone names that exists again: a receipt
 * for the original requester, `replay_of` the tombstone's deletion, purged by the worker like any deletion (and
 * certified). Missing tombstones are written again.
 */
export async function replayLedger(
  db: Db,
  ledger: Ledger,
  now: string,
): Promise<{ tombstones: number; replayed: Replayed[]; rewritten: number }> {
  const { tombstones, differences } = await compareLedger(db, ledger)
  const replayed: Replayed[] = []
  let rewritten = 0
  for (const { kind, tombstone } of differences) {
    if (kind === 'tombstone_missing') {
      await ledger.writeTombstone(tombstone)
      rewritten++
      continue
    }
    const deletionId = await replayDeletion(db, tombstone, now)
    if (deletionId)
      replayed.push({ deletionId, replayOf: tombstone.deletionId, organizationId: tombstone.organizationId })
  }
  return { tombstones, replayed, rewritten }
}

/** Marks the organization deleting and writes its replayed receipt and purge tasks, in one transaction. */
async function replayDeletion(db: Db, tombstone: Tombstone, now: string): Promise<string | null> {
  return db.transaction().execute(async (trx) => {
    const org = await lockAnyOrganization(trx, { id: tombstone.organizationId })
    if (!org || org.status === 'deleting') return null
    await markDeleting(trx, org.id, now, false)
    const deletionId = newId()
    const receipt = newReceipt(deletionId, org, {
      requestedBy: tombstone.requestedBy,
      requestedAt: now,
      purgeAt: null,
      replayOf: tombstone.deletionId,
    })
    await insertDeletion(trx, receipt, await tenantTables(trx))
    await enqueueOrganizationRemoval(trx, org.id, deletionId)
    return deletionId
  })
}
