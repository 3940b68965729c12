import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '../src/db/connect.js'
import { newId, nowIso } from '../src/db/ids.js'
import { AppError } from '../src/core/errors.js'
import { writeInOrganization } from '../src/organizations/write.js'
import { insertRows } from '../src/db/bulk-insert.js'
import { progressReporter } from '../src/seed/progress.js'
import { seedOrganization, type SeedProgress } from '../src/seed/seed.js'
import { buildTestApp, createTestDatabase, type TestApp } from './support/app.js'
import { as, createUser } from './support/factories.js'
import { runNode } from './support/processes.js'

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp()
})
afterAll(async () => t.close())

const ORG_TABLES = ['collaborators', 'apps', 'devices', 'audit_events'] as const

async function countRows(db: Db, organizationId: string) {
  const counts: Record<string, number> = {}
  for (const table of ORG_TABLES) {
    const row = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('organization_id', '=', organizationId)
      .executeTakeFirstOrThrow()
    counts[table] = Number(row.n)
  }
  return counts
}

describe('seedOrganization', () => {
  it('creates exactly the rows asked for, owned by the owner, with exact counters', async () => {
    const owner = await createUser(t, 'owner')
    const progress: SeedProgress[] = []
    // 10,000 devices in one transaction take several statements on both dialects.
    const seeded = await seedOrganization(
      t.db,
      { owner: owner.email, collaborators: 120, apps: 30, devices: 10_000, audit: 1_500 },
      (p) => {
        progress.push(p)
      },
    )
    expect(seeded.counts).toEqual({ collaborators: 120, apps: 30, devices: 10_000, audit: 1_500 })
    expect(seeded.ownerId).toBe(owner.id)

    const org = await as(t, owner).get(`/v1/organizations/${seeded.organizationId}`)
    expect(org.status).toBe(200)
    expect(org.body.data).toMatchObject({
      id: seeded.organizationId,
      slug: seeded.slug,
      role: 'owner',
      owner: { id: owner.id, email: owner.email },
      counts: { apps: 30, devices: 10_000, collaborators: 121 },
    })
    const totals: Record<string, number> = {}
    for (const resource of ['collaborators', 'apps', 'devices', 'audit']) {
      const list = await as(t, owner).get(`/v1/organizations/${seeded.organizationId}/${resource}?limit=1`)
      expect(list.status, resource).toBe(200)
      totals[resource] = list.body.data.totalDocs
    }
    expect(totals).toEqual({ collaborators: 121, apps: 30, devices: 10_000, audit: 1_501 })
    // The newest entry of the history is a seeded one, by the owner.
    const audit = await as(t, owner).get(`/v1/organizations/${seeded.organizationId}/audit?limit=1`)
    expect(audit.body.data.items[0]).toMatchObject({ actor: { id: owner.id, email: owner.email } })
    expect(audit.body.data.items[0].action).not.toBe('organization.create')

    // The organization's own audit event (organization.create) comes on top of the seeded history.
    expect(await countRows(t.db, seeded.organizationId)).toEqual({
      collaborators: 121,
      apps: 30,
      devices: 10_000,
      audit_events: 1_501,
    })

    expect(progress.at(-1)).toMatchObject({ phase: 'audit', done: 11_650, total: 11_650 })
    for (let i = 1; i < progress.length; i++)
      expect(progress[i]?.done).toBeGreaterThan(progress[i - 1]?.done ?? Infinity)
  })

  it('generates rows that look like the API made them', async () => {
    const owner = await createUser(t, 'owner')
    const { organizationId } = await seedOrganization(
      t.db,
      { owner: owner.email, collaborators: 40, apps: 12, devices: 900, audit: 300 },
      () => undefined,
    )
    const devices = await t.db
      .selectFrom('devices')
      .select(['platform', 'state'])
      .select((eb) => [
        eb.fn.countAll<number>().as('n'),
        eb.fn.count<number>('serial_number').distinct().as('serials'),
      ])
      .where('organization_id', '=', organizationId)
      .groupBy(['platform', 'state'])
      .orderBy('platform')
      .execute()
    expect(devices.map((d) => [d.platform, d.state, Number(d.n), Number(d.serials)])).toEqual([
      ['android', 'enrolled', 300, 300],
      ['apple', 'enrolled', 300, 300],
      ['windows', 'enrolled', 300, 300],
    ])

    const roles = await t.db
      .selectFrom('collaborators')
      .select('role')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('organization_id', '=', organizationId)
      .groupBy('role')
      .orderBy('role')
      .execute()
    expect(roles.map((r) => [r.role, Number(r.n)])).toEqual([
      ['admin', 4],
      ['editor', 12],
      ['owner', 1],
      ['viewer', 24],
    ])

    const events = await t.db
      .selectFrom('audit_events')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .execute()
    expect(events).toHaveLength(301)
    expect(new Set(events.map((e) => e.actor_id))).toEqual(new Set([owner.id]))
    expect(new Set(events.map((e) => e.action))).toEqual(
      new Set([
        'organization.create',
        'organization.update',
        'device.enroll',
        'device.unenroll',
        'app.create',
        'app.update',
        'collaborator.create',
        'collaborator.update',
      ]),
    )
    // Every seeded event names an entity of this organization that exists.
    const ids = new Map<string, Set<string>>([
      ['organization', new Set([organizationId])],
      ['device', await idsOf(t.db, 'devices', organizationId)],
      ['app', await idsOf(t.db, 'apps', organizationId)],
      ['collaborator', await idsOf(t.db, 'collaborators', organizationId)],
    ])
    for (const event of events) expect(ids.get(event.entity)?.has(event.entity_id), event.action).toBe(true)
  })

  it('uses the requested slug and refuses a taken one without creating anything', async () => {
    const owner = await createUser(t, 'owner')
    const slug = `seeded-${owner.id.slice(-8)}`
    const seeded = await seedOrganization(t.db, { owner: owner.email, slug, apps: 2 })
    expect(seeded.slug).toBe(slug)
    const other = await createUser(t, 'other')
    const error = await seedOrganization(t.db, { owner: other.email, slug, devices: 5 }).catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(AppError)
    expect((error as AppError).code).toBe(5001)
    const orgs = await as(t, other).get('/v1/organizations')
    expect(orgs.body.data.totalDocs).toBe(0)
  })

  it('creates the owner when the email is new', async () => {
    const email = `new-owner-${Date.now()}@Example.test`
    const seeded = await seedOrganization(t.db, { owner: email, devices: 3 })
    const user = await t.db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', seeded.ownerId)
      .executeTakeFirstOrThrow()
    expect(user.email).toBe(email.toLowerCase())
  })

  it('stops at the first batch after the organization starts being deleted, leaving the counters exact', async () => {
    const owner = await createUser(t, 'owner')
    let organizationId = ''
    const error = await seedOrganization(
      t.db,
      { owner: owner.email, devices: 5_000, rowsPerTransaction: 1_000 },
      async (p) => {
        if (p.done !== 2_000) return
        const org = await t.db
          .selectFrom('collaborators')
          .select('organization_id')
          .where('user_id', '=', owner.id)
          .executeTakeFirstOrThrow()
        organizationId = org.organization_id
        // What DELETE does first: the organization stops being live for every writer.
        await t.db
          .updateTable('organizations')
          .set({ status: 'deleting' })
          .where('id', '=', organizationId)
          .execute()
      },
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AppError)
    expect((error as AppError).code).toBe(3001)
    const counter = await t.db
      .selectFrom('organizations')
      .select('devices_count')
      .where('id', '=', organizationId)
      .executeTakeFirstOrThrow()
    expect(counter.devices_count).toBe(2_000)
    expect((await countRows(t.db, organizationId)).devices).toBe(2_000)
  })

  it('rejects counts that are not whole numbers', async () => {
    const owner = await createUser(t, 'owner')
    await expect(seedOrganization(t.db, { owner: owner.email, devices: -1 })).rejects.toThrow(RangeError)
    await expect(seedOrganization(t.db, { owner: owner.email, apps: 1.5 })).rejects.toThrow(RangeError)
  })
})

async function idsOf(db: Db, table: 'devices' | 'apps' | 'collaborators', organizationId: string) {
  const rows = await db.selectFrom(table).select('id').where('organization_id', '=', organizationId).execute()
  return new Set(rows.map((r) => r.id))
}

describe('bulk insert', () => {
  it('stores awkward text and nulls exactly, whatever the statement form', async () => {
    const owner = await createUser(t, 'owner')
    const { organizationId } = await seedOrganization(t.db, { owner: owner.email })
    const awkward = [
      '"quoted"',
      'a,b',
      '{braces}',
      'back\\slash',
      'NULL',
      '',
      ' padded ',
      'ünïcødé ✓',
      "it's",
    ]
    const rows = awkward.map((text, i) => ({
      id: newId(),
      organization_id: organizationId,
      action: text,
      entity: 'test',
      entity_id: String(i),
      actor_id: i % 2 === 0 ? null : owner.id,
      created_at: nowIso(),
    }))
    await writeInOrganization(t.db, organizationId, (trx) =>
      insertRows(
        trx,
        'audit_events',
        ['id', 'organization_id', 'action', 'entity', 'entity_id', 'actor_id', 'created_at'],
        rows,
      ),
    )
    const stored = await t.db
      .selectFrom('audit_events')
      .select(['action', 'actor_id', 'entity_id'])
      .where('organization_id', '=', organizationId)
      .where('entity', '=', 'test')
      .execute()
    expect(stored.sort((a, b) => Number(a.entity_id) - Number(b.entity_id))).toEqual(
      rows.map((r) => ({ action: r.action, actor_id: r.actor_id, entity_id: r.entity_id })),
    )
  })
})

describe('progress reporting', () => {
  const at = (done: number, total = 1_000): SeedProgress => ({
    phase: 'devices',
    done,
    total,
    elapsedMs: done,
  })

  it('writes a line per tenth of the work when stderr is not a terminal', () => {
    let out = ''
    const reporter = progressReporter({ isTTY: false, write: (text: string) => (out += text) })
    for (let done = 50; done <= 1_000; done += 50) reporter.update(at(done))
    const lines = out.trimEnd().split('\n')
    expect(lines).toHaveLength(10)
    expect(lines[0]).toBe('seed: 100/1,000 rows (10.0%), devices, 1,000 rows/s')
    expect(lines[9]).toContain('1,000/1,000 rows (100.0%)')
    expect(out).not.toContain('\r')
  })

  it('draws a bar redrawn in place on a terminal, then the summary on a line of its own', () => {
    let out = ''
    const reporter = progressReporter({ isTTY: true, columns: 100, write: (text: string) => (out += text) })
    for (let done = 250; done <= 1_000; done += 250) reporter.update(at(done))
    reporter.finish({
      organizationId: 'a'.repeat(24),
      slug: 'acme',
      ownerId: 'b'.repeat(24),
      counts: { collaborators: 0, apps: 0, devices: 1_000, audit: 0 },
      rows: 1_000,
      elapsedMs: 1_000,
    })
    const [bar, summary, rest] = out.split('\n')
    // Each drawing starts by moving to the first column (CSI 1 G) of the same line.
    const drawings = (bar ?? '').split('\x1b[1G').slice(1)
    expect(drawings.length).toBeGreaterThanOrEqual(2)
    expect(drawings[0]).toContain('25% | 250/1,000 rows | devices | 1,000 rows/s')
    expect(drawings.at(-1)).toContain('100% | 1,000/1,000 rows')
    expect(summary).toContain('1,000 devices')
    expect(rest).toBe('')
  })
})

describe('orgspace seed (command line)', () => {
  async function orgspace(args: string[], databaseUrl: string) {
    const run = await runNode('src/cli.ts', args, { DATABASE_URL: databaseUrl })
    return { ...run, code: run.code ?? 1 }
  }

  it('prints only the new organization id and seeds the database', async () => {
    const database = await createTestDatabase()
    try {
      const run = await orgspace(
        ['seed', '--owner', 'cli-owner@example.test', '--devices', '500'],
        database.url,
      )
      expect(run.stderr).toContain('500 devices')
      expect(run.code).toBe(0)
      expect(run.stdout).toMatch(/^[a-f0-9]{24}\n$/)
      const organizationId = run.stdout.trim()
      const handle = openDatabase(database.url)
      try {
        expect(await countRows(handle.db, organizationId)).toEqual({
          collaborators: 1,
          apps: 0,
          devices: 500,
          audit_events: 1,
        })
      } finally {
        await handle.close()
      }
    } finally {
      await database.drop()
    }
  })

  it('exits 2 with nothing on stdout on a usage error', async () => {
    const database = await createTestDatabase()
    try {
      const runs = await Promise.all([
        orgspace(['seed', '--owner', 'x@example.test', '--devices', 'many'], database.url),
        orgspace(['seed', '--owner', 'x@example.test', '--bogus', '1'], database.url),
        orgspace(['seed', '--devices', '5'], database.url),
      ])
      for (const run of runs) {
        expect(run.code, run.stderr).toBe(2)
        expect(run.stdout).toBe('')
      }
      expect(runs[0]?.stderr).toContain(
        "option '--devices <N>' argument 'many' is invalid. Not a whole number.",
      )
      expect(runs[1]?.stderr).toContain("unknown option '--bogus'")
      expect(runs[2]?.stderr).toContain("required option '--owner <email>' not specified")
    } finally {
      await database.drop()
    }
  })
})
