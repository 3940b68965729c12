import type { Db } from '../db/connect.js'
import { AppError } from '../core/errors.js'
import type { AuthContext } from '../core/auth-context.js'
import { issueCertificate, type CertificateClaims, type Certifier } from './certificate.js'
import { findCertifiable, markCertificateLedgered } from './proof-repository.js'
import { findDeletionOfRequester } from './repository.js'

// A completed deletion's certificate, as the API and `orgspace certificate get` hand it out. A deletion completed
// before certificates existed gets one on request: its verification runs then, and the certificate says when.

/** The claims of a certificate this server signed (its payload; the signature is checked by whoever relies on it). */
function claimsOf(certificate: string): CertificateClaims {
  const payload = certificate.split('.')[1] ?? ''
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as CertificateClaims
}

/** The certificate of one deletion (any: operators), issued now if it completed before certificates existed. */
export async function certificateOf(db: Db, certifier: Certifier, deletionId: string, now: string) {
  const deletion = await findCertifiable(db, deletionId)
  if (!deletion) throw AppError.notFound()
  if (deletion.status !== 'completed' || deletion.completed_at === null)
    throw AppError.conflict('not_completed')
  if (deletion.certificate === null) {
    const counts = JSON.parse(deletion.counts) as Record<string, number>
    await issueCertificate(db, certifier, { ...deletion, counts, completedAt: deletion.completed_at }, now)
    const issued = await findCertifiable(db, deletionId)
    if (issued?.certificate) {
      await certifier.ledger.writeCertificate(deletionId, issued.certificate)
      await markCertificateLedgered(db, deletionId, now)
    }
    return certificateOf(db, certifier, deletionId, now)
  }
  return { certificate: deletion.certificate, claims: claimsOf(deletion.certificate) }
}

/** GET /v1/deletions/:deletionId/certificate: for whoever may read the receipt. */
export async function getCertificate(
  db: Db,
  certifier: Certifier,
  auth: AuthContext,
  deletionId: string,
  now: string,
) {
  const id = deletionId.toLowerCase()
  if (!(await findDeletionOfRequester(db, id, auth))) throw AppError.notFound()
  return certificateOf(db, certifier, id, now)
}
