import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase, type DatabaseHandle } from '../src/db/connect.js'
import { newId, nowIso } from '../src/db/ids.js'
import { migrateTo, migrateToLatest, migrationNames } from '../src/db/migrate.js'
import { requestDeletion } from '../src/deletion/command.js'
import { seedOrganization } from '../src/seed/seed.js'
import { FileStorage } from '../src/storage/filesystem.js'
import { createToken } from '../src/tokens/service.js'
import type { AuthContext } from '../src/core/auth-context.js'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestDatabase, dialect, type TestDatabase } from './support/app.js'
import { tableNames, tableRows, tableShape } from './support/catalog.js'
import { purgeNow, rowsOf } from './support/purge.js'

// 0006 changes the keys of tables that already hold data. A database built by the migrations before it and
// seeded by orgspace's own seeding is upgraded; every row of every table must come through unchanged.

const CONVERTED = ['apps', 'audit_events', 'collaborators', 'devices', 'subscriptions']
/** Created by 0003 with the key already: on SQLite they become WITHOUT ROWID too. */
const KEYED = ['app_tokens', 'builds', 'object_removals']
const BUILDS_PER_APP = 3

let testDb: TestDatabase
let database: DatabaseHandle
const before: Record<string, string[]> = {}
let kept: string
let doomed: string
const storageRoot = mkdtempSync(join(tmpdir(), 'orgspace-0006-'))

beforeAll(async () => {
  testDb = await createTestDatabase({ unmigrated: true })
  database = openDatabase(testDb.url)
  const db = database.db
  const previous = migrationNames[migrationNames.indexOf('0006_clustered_keys') - 1]
  if (!previous) throw new Error('0006 has no predecessor')
  // Seeding records audit details (0009), writes receipts with the columns of 0010 and 0011, and creates
  // organizations with an import lease (0013) and a retention policy (0014): those come first, as on a database
  // upgraded out of order.
  await migrateTo(db, previous, [
    '0009_audit_details',
    '0010_deletion_proof',
    '0011_data_keys',
    '0013_import_lease_token_use',
    '0014_retention',
  ])

  const counts = { collaborators: 40, apps: 12, devices: 3_000, audit: 400 }
  const first = await seedOrganization(db, { owner: 'first@example.test', slug: 'first', ...counts })
  const second = await seedOrganization(db, { owner: 'second@example.test', slug: 'second', ...counts })
  const third = await seedOrganization(db, { owner: 'first@example.test', slug: 'third', ...counts })
  kept = first.organizationId
  doomed = third.organizationId
  for (const org of [first, second, third]) {
    await db
      .insertInto('subscriptions')
      .values({
        id: newId(),
        organization_id: org.organizationId,
        plan: 'pro',
        status: 'canceled',
        created_at: nowIso(),
        canceled_at: nowIso(),
      })
      .execute()
    await createToken(db, org.ownerId, { name: 'scoped', organizationId: org.organizationId })
    // Builds and app tokens, written as the builds module writes them, for every app of the organization.
    const apps = await db
      .selectFrom('apps')
      .select('id')
      .where('organization_id', '=', org.organizationId)
      .execute()
    for (const app of apps) {
      await db
        .insertInto('app_tokens')
        .values({
          organization_id: org.organizationId,
          id: newId(),
          app_id: app.id,
          name: 'ci',
          secret_hash: '0'.repeat(64),
          created_by: org.ownerId,
          created_at: nowIso(),
          expires_at: null,
        })
        .execute()
      for (let n = 0; n < BUILDS_PER_APP; n++)
        await db
          .insertInto('builds')
          .values({
            organization_id: org.organizationId,
            id: newId(),
            app_id: app.id,
            file_name: `app-${n}.ipa`,
            content_type: 'application/octet-stream',
            size: 1000 + n,
            sha256: 'a'.repeat(64),
            version_name: `1.${n}`,
            version_code: null,
            changelog: null,
            tags: '[]',
            deployer: null,
            uploaded_by: org.ownerId,
            app_token_id: null,
            created_at: nowIso(),
          })
          .execute()
    }
    // The organization's counter, as the builds module maintains it: bytes 1000, 1001, 1002 per app.
    await db
      .updateTable('organizations')
      .set({ builds_bytes: apps.length * 3003 })
      .where('id', '=', org.organizationId)
      .execute()
  }
  await createToken(db, first.ownerId, { name: 'unscoped', expiresInDays: 3 })
  // A deletion waiting for its purge: its receipt and tasks must survive the upgrade, and the purge finish after.
  const owner: AuthContext = {
    userId: third.ownerId,
    email: 'first@example.test',
    name: '',
    tokenId: '',
    organizationId: null,
  }
  await requestDeletion(db, owner, doomed, { graceSeconds: 0, quarantineSeconds: 0 })

  for (const table of await tableNames(db)) before[table] = await tableRows(db, table)
  await migrateToLatest(db)
}, 120_000)

afterAll(async () => {
  await database.close()
  await testDb.drop()
  rmSync(storageRoot, { recursive: true, force: true })
})

describe('migration 0006 on a seeded database', () => {
  it('keeps every row of every table', async () => {
    const db = database.db
    // Migrations after 0006 add tables of their own: 0008 the exports, 0012 the kept answers.
    expect(await tableNames(db)).toEqual([...Object.keys(before), 'exports', 'idempotency_keys'].sort())
    expect(before.devices).toHaveLength(3 * 3_000)
    for (const table of Object.keys(before)) expect(await tableRows(db, table), table).toEqual(before[table])
  })

  it('keys the tenant tables by (organization_id, id), stored in that order on SQLite', async () => {
    for (const table of [...CONVERTED, ...KEYED]) {
      const shape = await tableShape(database.db, table)
      expect(shape.primaryKey, table).toEqual(['organization_id', 'id'])
      if (dialect === 'sqlite') expect(shape.withoutRowid, table).toBe(true)
    }
    const tokens = await tableShape(database.db, 'tokens')
    expect(tokens.primaryKey).toEqual(['id'])
    expect(tokens.foreignKeys.map((k) => k.table)).toEqual(['users'])
  })

  it('keeps the other keys and indexes the tables had', async () => {
    const collaborators = await tableShape(database.db, 'collaborators')
    expect(collaborators.unique.map((k) => [k.columns, k.partial]).sort()).toEqual(
      [
        [['organization_id'], true],
        [['organization_id', 'user_id'], false],
      ].sort(),
    )
    expect((await tableShape(database.db, 'devices')).unique.map((k) => k.columns)).toEqual([
      ['organization_id', 'serial_number'],
    ])
    // A build still points at an app of its own organization.
    expect((await tableShape(database.db, 'builds')).foreignKeys).toContainEqual({
      columns: ['organization_id', 'app_id'],
      table: 'apps',
      references: ['organization_id', 'id'],
    })
    const indexes =
      dialect === 'sqlite'
        ? await sql<{
            name: string
          }>`select name from sqlite_master where type = 'index' and sql is not null`.execute(database.db)
        : await sql<{
            name: string
          }>`select indexname as name from pg_indexes where schemaname = current_schema()`.execute(
            database.db,
          )
    expect(indexes.rows.map((r) => r.name)).toEqual(
      expect.arrayContaining([
        'collaborators_user_idx',
        'collaborators_one_owner',
        'devices_org_enrolled_idx',
        'subscriptions_org_status_idx',
        'audit_events_org_created_idx',
        'tokens_organization_idx',
        'apps_org_id_unique',
        'builds_app_created_idx',
        'app_tokens_app_created_idx',
        'object_removals_available_idx',
      ]),
    )
  })

  it.runIf(dialect === 'sqlite')('leaves foreign keys enforced, and none broken', async () => {
    const db = database.db
    expect((await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(db)).rows).toEqual([
      { foreign_keys: 1 },
    ])
    expect((await sql`pragma foreign_key_check`.execute(db)).rows).toEqual([])
    const orphan = db
      .insertInto('devices')
      .values({
        id: newId(),
        organization_id: newId(),
        platform: 'apple',
        serial_number: 'ORPHAN',
        name: '',
        state: 'enrolled',
        enrolled_at: nowIso(),
      })
      .execute()
    await expect(orphan).rejects.toThrow(/FOREIGN KEY/)
  })

  it('lets the purge that was waiting finish, leaving the other organizations whole', async () => {
    const db = database.db
    const keptBefore = await rowsOf(db, kept)
    await purgeNow(db, { storage: await FileStorage.open(storageRoot) })
    expect(await rowsOf(db, doomed)).toEqual({
      app_tokens: 0,
      builds: 0,
      object_removals: 0,
      apps: 0,
      audit_events: 0,
      collaborators: 0,
      devices: 0,
      exports: 0,
      idempotency_keys: 0,
      organization_data_keys: 0,
      subscriptions: 0,
      tokens: 0,
      webhook_deliveries: 0,
      webhook_endpoints: 0,
      deletions: 1,
      organizations: 0,
    })
    expect(await rowsOf(db, kept)).toEqual(keptBefore)
    const receipt = await db
      .selectFrom('deletions')
      .selectAll()
      .where('organization_id', '=', doomed)
      .execute()
    expect(receipt.map((r) => [r.status, JSON.parse(r.counts)])).toEqual([
      [
        'completed',
        {
          appTokens: 12,
          apps: 12,
          auditEvents: 401,
          builds: 12 * BUILDS_PER_APP,
          bytes: 12 * 3003,
          collaborators: 41,
          dataKeys: 0,
          devices: 3_000,
          subscriptions: 1,
          tokens: 1,
          webhookDeliveries: 0,
          webhooks: 0,
        },
      ],
    ])
  })
})
