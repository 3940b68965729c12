import { sql } from 'kysely'
import type { Db } from '../../src/db/connect.js'
import { ORGANIZATION_TABLES } from './tenant-tables.js'
import { PurgeWorker } from '../../src/deletion/worker.js'
import type { ObjectStorage } from '../../src/storage/storage.js'
import type { ProofSettings } from '../../src/deletion/proof.js'

const silent = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
}

// The storage each test app keeps its builds in, so a worker purging its database removes objects from the same.
const storages = new WeakMap<Db, ObjectStorage>()
// And its ledger and signing key, so a worker writes tombstones and certificates as the app's own would.
const proofs = new WeakMap<Db, ProofSettings>()

export function useStorage(db: Db, storage: ObjectStorage, proof?: ProofSettings): void {
  storages.set(db, storage)
  if (proof) proofs.set(db, proof)
}

export interface TestWorkerOptions {
  batchTargetMs?: number
  leaseMs?: number
  objectBatch?: number
  storage?: ObjectStorage
  /** A clock moved forward instead of sleeping, for scheduled deletions. */
  clock?: () => number
  slugQuarantineSeconds?: number
  /** See PurgeWorkerOptions.writerWaiting. */
  writerWaiting?: () => boolean
  /** Told the rows of each committed purge transaction. */
  onBatch?: (table: string, rows: number) => void
  /** The ledger and signing key (the test app's by default); null for a worker without them. */
  proof?: ProofSettings | null
}

export function testWorker(db: Db, options: TestWorkerOptions = {}): PurgeWorker {
  const storage = options.storage ?? storages.get(db)
  if (!storage) throw new Error('no storage for this database: build the app with buildTestApp, or pass one')
  return new PurgeWorker(db, {
    batchTargetMs: options.batchTargetMs ?? 5,
    pollMs: 20,
    leaseMs: options.leaseMs ?? 30_000,
    logger: silent,
    clock: options.clock ? { now: options.clock } : undefined,
    slugQuarantineSeconds: options.slugQuarantineSeconds,
    storage,
    objectBatch: options.objectBatch,
    writerWaiting: options.writerWaiting,
    onBatch: options.onBatch,
    proof: options.proof === null ? undefined : (options.proof ?? proofs.get(db)),
  })
}

/** Purges everything that is waiting (and due by `options.clock`), in this process, until nothing is left. */
export async function purgeNow(db: Db, options: TestWorkerOptions = {}): Promise<void> {
  await testWorker(db, options).drain()
}

/**
 * Rows per tenant table that still carry `organizationId` (plus the organizations row itself), over the
 * hand-written list of tenant tables and the `extra` ones a test created itself.
 */
export async function rowsOf(
  db: Db,
  organizationId: string,
  extra: string[] = [],
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {}
  for (const table of [...ORGANIZATION_TABLES, ...extra, 'deletions']) {
    const r = await sql<{
      n: number
    }>`select count(*) as n from ${sql.table(table)} where organization_id = ${organizationId}`.execute(db)
    counts[table] = Number(r.rows[0]?.n ?? 0)
  }
  const org = await db.selectFrom('organizations').select('id').where('id', '=', organizationId).execute()
  counts.organizations = org.length
  return counts
}
