import { Migrator, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely'
import type { Db } from './connect.js'
import * as m0001 from './migrations/0001_initial.js'
import * as m0006 from './migrations/0006_clustered_keys.js'

// Migrations are listed here rather than read from a folder, so they work the same from source and bundles.
const migrations: Record<string, Migration> = {
  '0001_initial': m0001,
  '0006_clustered_keys': m0006,
}

/** The migrations in the order they apply. */
export const migrationNames: readonly string[] = Object.keys(migrations)

const provider: MigrationProvider = { getMigrations: async () => migrations }

/** Applies the pending migrations up to and including `name` (tests build databases of an older schema). */
export async function migrateTo(db: Db, name: string): Promise<MigrationResultSet> {
  const result = await new Migrator({ db, provider }).migrateTo(name)
  if (result.error) throw result.error
  return result
}

/** Applies every pending migration; safe to run again and from several processes at once (Kysely locks). */
export async function migrateToLatest(db: Db): Promise<MigrationResultSet> {
  const result = await new Migrator({ db, provider }).migrateToLatest()
  if (result.error) throw result.error
  return result
}
