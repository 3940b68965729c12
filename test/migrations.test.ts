import { Migrator, sql, type MigrationProvider } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase, type DatabaseHandle } from '../src/db/connect.js'
import { migrateToLatest } from '../src/db/migrate.js'
import * as initial from '../src/db/migrations/0001_initial.js'
import { createTestDatabase, type TestDatabase } from './support/app.js'

// Migrations run on databases that already hold data: each is tested on one migrated only up to before it.

let testDb: TestDatabase
let database: DatabaseHandle
beforeAll(async () => {
  testDb = await createTestDatabase({ unmigrated: true })
  database = openDatabase(testDb.url)
  const onlyInitial: MigrationProvider = { getMigrations: async () => ({ '0001_initial': initial }) }
  const result = await new Migrator({ db: database.db, provider: onlyInitial }).migrateToLatest()
  if (result.error) throw result.error
})
afterAll(async () => {
  await database.close()
  await testDb.drop()
})

describe('upgrading a database', () => {
  it('deletes the scoped tokens of removed collaborators, and only those', async () => {
    const now = new Date().toISOString()
    const { db } = database
    await db
      .insertInto('users')
      .values([
        { id: 'u'.repeat(24), email: 'member@example.test', name: '', created_at: now },
        { id: 'v'.repeat(24), email: 'gone@example.test', name: '', created_at: now },
      ])
      .execute()
    await db
      .insertInto('organizations')
      .values({
        id: 'o'.repeat(24),
        name: 'Org',
        slug: 'org-upgrade',
        status: 'active',
        created_at: now,
        updated_at: now,
      })
      .execute()
    await db
      .insertInto('collaborators')
      .values({
        id: 'c'.repeat(24),
        organization_id: 'o'.repeat(24),
        user_id: 'u'.repeat(24),
        role: 'owner',
        created_at: now,
        updated_at: now,
      })
      .execute()
    const token = (id: string, user: string, org: string | null) => ({
      id,
      user_id: user,
      organization_id: org,
      name: id,
      secret_hash: '0'.repeat(64),
      created_at: now,
      expires_at: null,
    })
    await db
      .insertInto('tokens')
      .values([
        token('a'.repeat(24), 'u'.repeat(24), 'o'.repeat(24)), // a member's scoped token: kept
        token('b'.repeat(24), 'v'.repeat(24), 'o'.repeat(24)), // scoped to an organization they left: deleted
        token('d'.repeat(24), 'v'.repeat(24), null), // their own token: kept
      ])
      .execute()

    // An audit event of before 0009: it keeps its columns, and says nothing of details it never had.
    await sql`insert into audit_events (id, organization_id, action, entity, entity_id, actor_id, created_at)
      values (${'e'.repeat(24)}, ${'o'.repeat(24)}, 'app.create', 'app', ${'f'.repeat(24)}, ${'u'.repeat(24)}, ${now})`.execute(
      db,
    )

    await migrateToLatest(db)

    const left = await db.selectFrom('tokens').select('id').orderBy('id').execute()
    expect(left.map((t) => t.id)).toEqual(['a'.repeat(24), 'd'.repeat(24)])
    expect(await db.selectFrom('audit_events').selectAll().execute()).toEqual([
      {
        id: 'e'.repeat(24),
        organization_id: 'o'.repeat(24),
        action: 'app.create',
        entity: 'app',
        entity_id: 'f'.repeat(24),
        actor_id: 'u'.repeat(24),
        details: null,
        created_at: now,
      },
    ])
  })
})
