import type { Db, Trx } from '../db/connect.js'

// The deletions table, as the proof of deletion reads and writes it (docs/api.md §11, §12): tombstones written
// before a purge starts, certificates and their copies in the ledger, and the receipts of replayed deletions.

/** A deletion whose purge may start (or was resumed after an upgrade) but whose tombstone is not in the ledger. */
export function findUntombstoned(db: Db) {
  return db
    .selectFrom('deletions')
    .select(['id', 'organization_id', 'requested_by', 'requested_at'])
    .where('status', 'in', ['purging', 'failed'])
    .where('purge_started_at', 'is', null)
    .orderBy('requested_at')
    .limit(1)
    .executeTakeFirst()
}

/** The tombstone is in the ledger: from now on the purge may delete rows. */
export async function markPurgeStarted(db: Db, deletionId: string, now: string): Promise<void> {
  await db
    .updateTable('deletions')
    .set({ purge_started_at: now })
    .where('id', '=', deletionId)
    .where('purge_started_at', 'is', null)
    .execute()
}

/** A certificate not yet copied to the ledger. */
export function findUnledgeredCertificate(db: Db) {
  return db
    .selectFrom('deletions')
    .select(['id', 'certificate'])
    .where('certificate', 'is not', null)
    .where('certificate_ledgered_at', 'is', null)
    .orderBy('completed_at')
    .limit(1)
    .executeTakeFirst()
}

export async function markCertificateLedgered(db: Db, deletionId: string, now: string): Promise<void> {
  await db
    .updateTable('deletions')
    .set({ certificate_ledgered_at: now })
    .where('id', '=', deletionId)
    .execute()
}

/** Stores the certificate once: of two issuing it at once (a request and an operator), the first one stays. */
export async function storeCertificate(
  db: Db | Trx,
  deletionId: string,
  certificate: string,
): Promise<boolean> {
  const result = await db
    .updateTable('deletions')
    .set({ certificate })
    .where('id', '=', deletionId)
    .where('certificate', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/** What a certificate says of its deletion. */
export function findCertifiable(db: Db, deletionId: string) {
  return db.selectFrom('deletions').selectAll().where('id', '=', deletionId).executeTakeFirst()
}

/** The ids of the deletions whose tombstone should be in the ledger (their purge started). */
export async function tombstonedDeletions(db: Db) {
  return db
    .selectFrom('deletions')
    .select(['id', 'organization_id', 'requested_by', 'requested_at', 'replay_of'])
    .where('purge_started_at', 'is not', null)
    .execute()
}
