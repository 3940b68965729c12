import { Migrator, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely'
import type { Db } from './connect.js'
import * as m0001 from './migrations/0001_initial.js'
import * as m0004 from './migrations/0004_events.js'

// Migrations are listed here rather than read from a folder, so they work the same from source and bundles.
const migrations: Record<string, Migration> = {
  '0001_initial': m0001,
  '0004_events': m0004,
}

const provider: MigrationProvider = { getMigrations: async () => migrations }

/** Applies every pending migration; safe to run again and from several processes at once (Kysely locks). */
export async function migrateToLatest(db: Db): Promise<MigrationResultSet> {
  const result = await new Migrator({ db, provider }).migrateToLatest()
  if (result.error) throw result.error
  return result
}
