import { sql } from 'kysely'
import { isPostgres, type Db } from './connect.js'

/**
 * Runs `write` with a commit that need not survive a crash of the database server: on PostgreSQL in a transaction
 * with `synchronous_commit = off`, so its commit does not wait for the WAL to reach the disk (a crash may lose the
 * last fraction of a second of such commits, never corrupt them); on SQLite, whose WAL commits do not wait for the
 * disk (synchronous=NORMAL), as it is. For rows whose loss a crash makes harmless.
 */
export async function fleetingWrite<T>(db: Db, write: (db: Db) => Promise<T>): Promise<T> {
  if (!isPostgres(db)) return write(db)
  return db.transaction().execute(async (trx) => {
    await sql`set local synchronous_commit = off`.execute(trx)
    return write(trx)
  })
}
