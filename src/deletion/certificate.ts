import { sql, type Selectable } from 'kysely'
import type { Db } from '../db/connect.js'
import { dialectOf } from '../db/dialect.js'
import type { DeletionsTable } from '../db/types.js'
import { VERSION } from '../root.js'
import { organizationPrefix } from '../storage/keys.js'
import type { ObjectStorage } from '../storage/storage.js'
import { signJwt } from './jws.js'
import type { Ledger } from './ledger.js'
import { storeCertificate } from './proof-repository.js'
import type { SigningKeys } from './signing-keys.js'
import { organizationIdTables } from './tables.js'

// The certificate of a completed deletion (docs/api.md §11): a JWT signed with the deployment's Ed25519 key, that a
// third party verifies with the JWKS alone. It is issued only after a verification of its own, independent of the
// purge's bookkeeping: every table the catalog shows with an organization_id column is counted for the
// organization, and its storage prefix is listed. It names users by id only.

/** What issuing a certificate needs: the key, who issues, where tombstones are, and the builds' storage. */
export interface Certifier {
  keys: SigningKeys
  issuer: string
  ledger: Ledger
  storage: ObjectStorage
}

/** The receipt's row, with the final counts and completion time (in the purge's last transaction, not stored yet). */
export type CertifiedDeletion = Pick<
  Selectable<DeletionsTable>,
  | 'id'
  | 'organization_id'
  | 'organization_slug'
  | 'requested_by'
  | 'requested_at'
  | 'purge_at'
  | 'purge_started_at'
  | 'replay_of'
  | 'data_key_destroyed_at'
> & { counts: Record<string, number>; completedAt: string }

/**
 * How stored objects were erased: once the organization's data key was destroyed (before its objects were
 * removed), every copy of them anywhere is beyond use; otherwise they were deleted.
 */
function storageErasure(
  deletion: Pick<CertifiedDeletion, 'data_key_destroyed_at'>,
): 'deleted' | 'crypto-erased' {
  return deletion.data_key_destroyed_at === null ? 'deleted' : 'crypto-erased'
}

/** The certificate was refused: something of the organization is still there. */
class NotErased extends Error {
  constructor(what: string) {
    super(`not erased: ${what}`)
    this.name = 'NotErased'
  }
}

/** Counts the organization's rows in every organization_id table but the receipts, and lists its prefix. */
async function verifyErased(db: Db, storage: ObjectStorage, organizationId: string, checkedAt: string) {
  const tables: Record<string, number> = {}
  for (const table of await organizationIdTables(db)) {
    if (table === 'deletions') continue
    const { rows } = await sql<{
      n: number | string
    }>`select count(*) as n from ${sql.table(table)} where organization_id = ${organizationId}`.execute(db)
    tables[table] = Number(rows[0]?.n ?? 0)
  }
  const prefix = organizationPrefix(organizationId)
  let objects = 0
  for await (const page of storage.list(prefix, 1000)) objects += page.length
  const left = Object.entries(tables).filter(([, n]) => n > 0)
  if (left.length > 0) throw new NotErased(left.map(([table, n]) => `${n} rows in ${table}`).join(', '))
  if (objects > 0) throw new NotErased(`${objects} objects under ${prefix}`)
  return { checkedAt, tables, storage: { prefix, objects } }
}

const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000)

/** The claims of the certificate, in the order §11 lists them. */
export async function certificateClaims(
  db: Db,
  certifier: Certifier,
  deletion: CertifiedDeletion,
  now: string,
) {
  const verification = await verifyErased(db, certifier.storage, deletion.organization_id, now)
  const graceMs =
    deletion.purge_at === null ? 0 : Date.parse(deletion.purge_at) - Date.parse(deletion.requested_at)
  return {
    iss: certifier.issuer,
    sub: deletion.organization_id,
    jti: deletion.id,
    iat: seconds(now),
    organization: { id: deletion.organization_id, slug: deletion.organization_slug },
    requestedBy: deletion.requested_by,
    requestedAt: deletion.requested_at,
    purgeStartedAt: deletion.purge_started_at,
    completedAt: deletion.completedAt,
    graceSeconds: Math.max(0, Math.round(graceMs / 1000)),
    removed: deletion.counts,
    verification,
    erasure: { database: dialectOf(db).erasure, storage: storageErasure(deletion) },
    ledger: certifier.ledger.tombstoneLocation({
      deletionId: deletion.id,
      organizationId: deletion.organization_id,
      requestedBy: deletion.requested_by,
      requestedAt: deletion.requested_at,
    }),
    software: { name: 'orgspace', version: VERSION },
    ...(deletion.replay_of === null ? {} : { replayOf: deletion.replay_of }),
  }
}

export type CertificateClaims = Awaited<ReturnType<typeof certificateClaims>>

/**
 * Verifies, signs and stores the certificate of a deletion (`db` may be the purge's last transaction). Throws
 * NotErased, and stores nothing, when the verification finds anything of the organization.
 */
export async function issueCertificate(
  db: Db,
  certifier: Certifier,
  deletion: CertifiedDeletion,
  now: string,
): Promise<string> {
  const certificate = await signJwt(await certificateClaims(db, certifier, deletion, now), certifier.keys)
  await storeCertificate(db, deletion.id, certificate)
  return certificate
}
