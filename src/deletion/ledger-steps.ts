import type { Db } from '../db/connect.js'
import type { Ledger } from './ledger.js'
import {
  findUnledgeredCertificate,
  findUntombstoned,
  markCertificateLedgered,
  markPurgeStarted,
} from './proof-repository.js'

// The purge worker's steps that write to the ledger (docs/api.md §12). Each writes first and records it in the
// database after, so a crash in between writes the same object again: the ledger never misses what the database
// says it holds.

/**
 * Writes the tombstone of one deletion whose purge is about to start (or was resumed without one), then marks its
 * purge started: its rows are deleted only after that (findUnmeasuredDeletion waits for it).
 */
export async function tombstoneStep(db: Db, ledger: Ledger, now: string): Promise<boolean> {
  const deletion = await findUntombstoned(db)
  if (!deletion) return false
  await ledger.writeTombstone({
    deletionId: deletion.id,
    organizationId: deletion.organization_id,
    requestedBy: deletion.requested_by,
    requestedAt: deletion.requested_at,
  })
  await markPurgeStarted(db, deletion.id, now)
  return true
}

/** Copies one completed deletion's certificate to the ledger. */
export async function ledgerCertificateStep(db: Db, ledger: Ledger, now: string): Promise<boolean> {
  const deletion = await findUnledgeredCertificate(db)
  if (!deletion?.certificate) return false
  await ledger.writeCertificate(deletion.id, deletion.certificate)
  await markCertificateLedgered(db, deletion.id, now)
  return true
}
