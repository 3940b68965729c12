import { Migrator, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely'
import type { Db } from './connect.js'
import * as m0001 from './migrations/0001_initial.js'
import * as m0002 from './migrations/0002_erasure.js'
import * as m0003 from './migrations/0003_builds.js'
import * as m0004 from './migrations/0004_events.js'
import * as m0005 from './migrations/0005_lifecycle.js'
import * as m0006 from './migrations/0006_clustered_keys.js'
import * as m0007 from './migrations/0007_orphan_scoped_tokens.js'
import * as m0008 from './migrations/0008_exports.js'
import * as m0009 from './migrations/0009_audit_details.js'
import * as m0010 from './migrations/0010_deletion_proof.js'
import * as m0011 from './migrations/0011_data_keys.js'
import * as m0012 from './migrations/0012_idempotency.js'
import * as m0013 from './migrations/0013_import_lease_token_use.js'
import * as m0014 from './migrations/0014_retention.js'
import * as m0015 from './migrations/0015_retention_due.js'
import * as m0016 from './migrations/0016_export_leases.js'

// Migrations are listed here rather than read from a folder, so they work the same from source and bundles.
const migrations: Record<string, Migration> = {
  '0001_initial': m0001,
  '0002_erasure': m0002,
  '0003_builds': m0003,
  '0004_events': m0004,
  '0005_lifecycle': m0005,
  '0006_clustered_keys': m0006,
  '0007_orphan_scoped_tokens': m0007,
  '0008_exports': m0008,
  '0009_audit_details': m0009,
  '0010_deletion_proof': m0010,
  '0011_data_keys': m0011,
  '0012_idempotency': m0012,
  '0013_import_lease_token_use': m0013,
  '0014_retention': m0014,
  '0015_retention_due': m0015,
  '0016_export_leases': m0016,
}

/** The migrations in the order they apply. */
export const migrationNames: readonly string[] = Object.keys(migrations)

const provider: MigrationProvider = { getMigrations: async () => migrations }

/** A migration that failed, by name; its error is the cause. */
export class MigrationError extends Error {
  constructor(
    readonly migration: string,
    options: ErrorOptions,
  ) {
    super(`migration ${migration} failed`, options)
    this.name = 'MigrationError'
  }
}

/**
 * Applies the pending migrations up to and including `name` (tests build databases of an older schema), and then
 * those named in `alsoApplied`: a database that got a later migration first, as an upgrade may leave it.
 */
export async function migrateTo(
  db: Db,
  name: string,
  alsoApplied: readonly string[] = [],
): Promise<MigrationResultSet> {
  const result = await new Migrator({ db, provider }).migrateTo(name)
  if (result.error) throw result.error
  if (alsoApplied.length === 0) return result
  const upTo = migrationNames.slice(0, migrationNames.indexOf(name) + 1)
  const some = Object.fromEntries(
    [...upTo, ...alsoApplied].flatMap((n) => (migrations[n] ? [[n, migrations[n]] as const] : [])),
  )
  const later = await new Migrator({
    db,
    provider: { getMigrations: async () => some },
    allowUnorderedMigrations: true,
  }).migrateToLatest()
  if (later.error) throw later.error
  return later
}

/**
 * Applies every pending migration; safe to run again and from several processes at once (Kysely locks).
 * A migration that fails throws MigrationError; not reaching the database at all throws the driver's error.
 */
export async function migrateToLatest(db: Db): Promise<MigrationResultSet> {
  // Unordered: a database may have a later migration than one added since (0004 came after 0005); each is
  // independent of those numbered after it, and every one is still applied once.
  const result = await new Migrator({ db, provider, allowUnorderedMigrations: true }).migrateToLatest()
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')
    throw failed ? new MigrationError(failed.migrationName, { cause: result.error }) : result.error
  }
  return result
}
