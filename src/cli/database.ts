import { loadConfig } from '../config.js'
import { openDatabase, type DatabaseHandle } from '../db/connect.js'
import { migrateToLatest } from '../db/migrate.js'
import { checkSqliteWritable } from '../startup-error.js'

/** Opens DATABASE_URL (migrated unless told otherwise), runs `work`, and always closes the database. */
export async function withDatabase<T>(
  work: (database: DatabaseHandle) => Promise<T>,
  { migrate = true } = {},
): Promise<T> {
  const config = loadConfig()
  checkSqliteWritable(config.DATABASE_URL)
  const database = openDatabase(config.DATABASE_URL)
  try {
    if (migrate) await migrateToLatest(database.db)
    return await work(database)
  } finally {
    await database.close()
  }
}
