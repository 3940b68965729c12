import { sql, SqliteAdapter, type Kysely } from 'kysely'

// Frozen in time: migrations take Kysely<any> and never import application types.
// SQLite only: a file created before orgspace set `auto_vacuum = INCREMENTAL` at open (src/db/connect.ts) keeps
// the space of deleted rows forever, and the purge could not give it back. The mode of an existing file changes
// only by rebuilding it with VACUUM, once. Kysely runs SQLite migrations outside a transaction (its SQLite adapter
// has no transactional DDL), which VACUUM needs. PostgreSQL has nothing to convert.

/* eslint-disable @typescript-eslint/no-explicit-any */
export async function up(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return
  const { rows } = await sql<{ auto_vacuum: number }>`pragma auto_vacuum`.execute(db)
  if (rows[0]?.auto_vacuum === 2) return // a new file, or converted already by an interrupted run of this one
  await sql`pragma auto_vacuum = INCREMENTAL`.execute(db)
  await sql`vacuum`.execute(db)
}

/** Converting back would gain nothing: the file stays incremental. */
export async function down(): Promise<void> {}
