import { sql, SqliteAdapter, type Kysely } from 'kysely'

// Frozen in time: migrations take Kysely<any> and never import application types.
//
// The tenant tables of 0001 get the primary key (organization_id, id), as every later tenant table is created:
// - an organization's rows sit next to each other in the key's order, so a purge batch (and a page of a listing)
//   reads and writes a few neighbouring pages instead of one page per row scattered by random ids. On SQLite the
//   tables become WITHOUT ROWID: the table itself is stored in that order, and the separate index on `id` is gone;
//   on PostgreSQL the key's index is what is ordered (the heap is not).
// - the keys carry the distribution column, as Citus requires of distributed, co-located tables
//   (docs/scaling.md).
// `tokens` is not a tenant table in that sense: it is looked up by id alone on every request and most tokens
// belong to no organization, so it stays keyed by id, a reference table like `users`. A reference table cannot
// point at a distributed one, so its foreign key to `organizations` goes; a scoped token is still written under
// its organization's lock by a member, and the purge still removes it with the organization (by the column).
//
// Existing rows are kept, all of them. PostgreSQL changes keys in place. SQLite cannot change a primary key or
// drop a foreign key, so each table is rebuilt by SQLite's own procedure ("Making Other Kinds Of Table Schema
// Changes", sqlite.org/lang_altertable.html): foreign keys off, one transaction, new table from the current
// definition, copy, drop, rename, indexes and triggers re-created, foreign_key_check, commit, foreign keys on.
// The new definition is derived from the table's current one, so columns and constraints that earlier
// migrations gave these tables are carried over; a definition that does not look as expected stops the
// migration rather than guess.
//
// The tables of 0003 (builds, app_tokens, and object_removals, the storage outbox) were created with the key
// (organization_id, id) already; on SQLite they are rebuilt WITHOUT ROWID like the others, so that every table
// holding an organization's rows is stored in key order and the purge addresses all of them the same way.
// Tenant tables created after this migration are created with the key, and WITHOUT ROWID on SQLite.

/* eslint-disable @typescript-eslint/no-explicit-any */

/** Keyed by id until now. */
const CLUSTERED = ['apps', 'audit_events', 'collaborators', 'devices', 'subscriptions'] as const
/** Keyed by (organization_id, id) since 0003: on SQLite they still have a rowid. */
const KEYED = ['app_tokens', 'builds', 'object_removals'] as const

export async function up(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) await rebuildSqlite(db)
  else await alterPostgres(db)
}

/** PostgreSQL runs every migration in a transaction: the new keys appear all at once, or not at all. */
async function alterPostgres(db: Kysely<any>): Promise<void> {
  for (const table of CLUSTERED) {
    const t = sql.table(table)
    const pkey = sql.id(`${table}_pkey`)
    await sql`alter table ${t} drop constraint ${pkey}, add constraint ${pkey} primary key (organization_id, id)`.execute(
      db,
    )
  }
  const { rows } = await sql<{ name: string }>`
    select c.conname as name from pg_catalog.pg_constraint c
    where c.contype = 'f' and c.conrelid = 'tokens'::regclass and c.confrelid = 'organizations'::regclass
      and c.connamespace = (select oid from pg_catalog.pg_namespace where nspname = current_schema())`.execute(
    db,
  )
  for (const { name } of rows) await sql`alter table tokens drop constraint ${sql.id(name)}`.execute(db)
}

/** Where `text` is in `ddl`; refuses a definition where it is not there exactly once. */
function findOnce(ddl: string, text: string, table: string): number {
  const at = ddl.indexOf(text)
  if (at < 0 || ddl.indexOf(text, at + 1) >= 0)
    throw new Error(`0006: the definition of ${table} does not have ${text} exactly once: ${ddl}`)
  return at
}

/** Replaces `from` in `ddl` with `to`, and refuses a definition where `from` is not there exactly once. */
function replaceOnce(ddl: string, from: string, to: string, table: string): string {
  const at = findOnce(ddl, from, table)
  return ddl.slice(0, at) + to + ddl.slice(at + from.length)
}

/** The table's new definition, under a temporary name; undefined when it has it already. */
function newDefinition(table: string, ddl: string): string | undefined {
  const renamed = replaceOnce(ddl, `CREATE TABLE "${table}" (`, `CREATE TABLE "${table}_new" (`, table)
  if (table === 'tokens') {
    const reference = '"organization_id" text references "organizations" ("id")'
    return ddl.includes(reference)
      ? replaceOnce(renamed, reference, '"organization_id" text', table)
      : undefined
  }
  if (/\)\s*without\s+rowid\s*$/i.test(ddl)) return undefined
  if (!renamed.endsWith(')')) throw new Error(`0006: unexpected definition of ${table}: ${ddl}`)
  if ((KEYED as readonly string[]).includes(table)) {
    findOnce(renamed, 'primary key ("organization_id", "id")', table)
    return `${renamed} without rowid`
  }
  const keyed = replaceOnce(renamed, '"id" text primary key', '"id" text not null', table)
  return `${keyed.slice(0, -1)}, constraint "${table}_pkey" primary key ("organization_id", "id")) without rowid`
}

async function rebuildSqlite(db: Kysely<any>): Promise<void> {
  await sql`pragma foreign_keys = off`.execute(db)
  try {
    await db.transaction().execute(async (trx) => {
      for (const table of [...CLUSTERED, ...KEYED, 'tokens']) await rebuildTable(trx, table)
      const broken = await sql`pragma foreign_key_check`.execute(trx)
      if (broken.rows.length > 0)
        throw new Error(
          `0006: foreign keys broken by the rebuild: ${JSON.stringify(broken.rows.slice(0, 5))}`,
        )
    })
  } finally {
    await sql`pragma foreign_keys = on`.execute(db)
  }
}

async function rebuildTable(trx: Kysely<any>, table: string): Promise<void> {
  const { rows } = await sql<{ type: string; name: string; sql: string }>`
    select type, name, sql from sqlite_master where tbl_name = ${table} and sql is not null`.execute(trx)
  const definition = rows.find((r) => r.type === 'table' && r.name === table)
  if (!definition) throw new Error(`0006: table ${table} not found`)
  const replacement = newDefinition(table, definition.sql)
  if (replacement === undefined) return
  const columns = (await sql<{ name: string }>`select name from pragma_table_info(${table})`.execute(trx))
    .rows
  const list = sql.join(columns.map((c) => sql.ref(c.name)))
  await sql.raw(replacement).execute(trx)
  await sql`insert into ${sql.table(`${table}_new`)} (${list}) select ${list} from ${sql.table(table)}`.execute(
    trx,
  )
  await sql`drop table ${sql.table(table)}`.execute(trx)
  await sql`alter table ${sql.table(`${table}_new`)} rename to ${sql.table(table)}`.execute(trx)
  // Explicit indexes and triggers went with the old table; the unique constraints came along in its definition.
  for (const object of rows.filter((r) => r.type === 'index' || r.type === 'trigger'))
    await sql.raw(object.sql).execute(trx)
}

/** The keys are what later migrations and the code rely on; going back would rebuild everything for nothing. */
export async function down(): Promise<void> {}
