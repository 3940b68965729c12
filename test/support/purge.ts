import { sql } from 'kysely'
import type { Db } from '../../src/db/connect.js'
import { TENANT_TABLES } from './tenant-tables.js'
import { PurgeWorker } from '../../src/deletion/worker.js'

const silent = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
}

export interface TestWorkerOptions {
  batchTargetMs?: number
  leaseMs?: number
  /** A clock moved forward instead of sleeping, for scheduled deletions. */
  clock?: () => number
  slugQuarantineSeconds?: number
}

export function testWorker(db: Db, options: TestWorkerOptions = {}): PurgeWorker {
  return new PurgeWorker(db, {
    batchTargetMs: options.batchTargetMs ?? 5,
    pollMs: 20,
    leaseMs: options.leaseMs ?? 30_000,
    logger: silent,
    clock: options.clock,
    slugQuarantineSeconds: options.slugQuarantineSeconds,
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
  for (const table of [...TENANT_TABLES, ...extra, 'deletions']) {
    const r = await sql<{
      n: number
    }>`select count(*) as n from ${sql.table(table)} where organization_id = ${organizationId}`.execute(db)
    counts[table] = Number(r.rows[0]?.n ?? 0)
  }
  const org = await db.selectFrom('organizations').select('id').where('id', '=', organizationId).execute()
  counts.organizations = org.length
  return counts
}
