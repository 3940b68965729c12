import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { dueOrganizationQuery } from '../src/retention/repository.js'
import { applyRetention, retentionStep } from '../src/retention/step.js'
import { placeLegalHold } from '../src/deletion/legal-holds.js'
import { buildTestApp, dialect, type TestApp } from './support/app.js'
import { ManualClock } from './support/clock.js'
import { testDeliveryWorker } from './support/events.js'
import {
  addMember,
  as,
  createOrg,
  createUser,
  expectValidation,
  type TestOrg,
  type TestUser,
} from './support/factories.js'
import { purgeNow } from './support/purge.js'
import { startReceiver } from './support/receiver.js'
import { objectsUnder, postForm, randomFile } from './support/uploads.js'

// Retention (docs/api.md §15): the policy through the API, and what the background step removes at a time the test
// sets on a ManualClock — builds beyond the newest of their app, history, objects in storage — and what it never
// touches.

const DAY = 86_400_000
const options = { targetMs: 10 }

let t: TestApp
let owner: TestUser
beforeAll(async () => {
  t = await buildTestApp({ WEBHOOK_ALLOW_PRIVATE: 'true' })
  owner = await createUser(t, 'owner')
})
afterAll(async () => {
  await t.close()
})

/** The clock `days` after now: everything written so far is that old. */
function daysLater(days: number): ManualClock {
  const clock = new ManualClock()
  clock.advance(days * DAY)
  return clock
}

async function appWithBuilds(org: TestOrg, name: string, builds: number) {
  const app = (await as(t, owner).post(`/v1/organizations/${org.id}/apps`, { name })).body.data
  const ids: string[] = []
  for (let b = 0; b < builds; b++) {
    const url = `/v1/organizations/${org.id}/apps/${app.id}/builds`
    const reply = await postForm(t, url, `Bearer ${owner.token}`, [['file', randomFile(500 + b), 'b.ipa']])
    expect(reply.status).toBe(200)
    ids.push(reply.body.data.id)
  }
  // Uploads a second apart, oldest first, so "newest" is unambiguous.
  for (const [b, id] of ids.entries()) {
    const at = new Date(Date.now() - (builds - b) * 1000).toISOString()
    await t.db.updateTable('builds').set({ created_at: at }).where('id', '=', id).execute()
  }
  return { id: app.id as string, builds: ids }
}

async function buildIds(org: TestOrg): Promise<string[]> {
  const rows = await t.db.selectFrom('builds').select('id').where('organization_id', '=', org.id).execute()
  return rows.map((r) => r.id).sort()
}

async function auditCount(org: TestOrg): Promise<number> {
  const rows = await t.db
    .selectFrom('audit_events')
    .select('id')
    .where('organization_id', '=', org.id)
    .execute()
  return rows.length
}

const put = (org: TestOrg, retention: unknown, user: TestUser = owner) =>
  as(t, user).put(`/v1/organizations/${org.id}`, { retention })

describe('the retention policy', () => {
  it('is null (keep forever) by default, set partially by owners and admins, returned by GET', async () => {
    const org = await createOrg(t, owner)
    const empty = { auditDays: null, buildsDays: null, buildsKeepLatest: null }
    expect((await as(t, owner).get(`/v1/organizations/${org.id}`)).body.data.retention).toEqual(empty)
    const admin = await addMember(t, owner, org, 'admin')
    const set = await put(org, { buildsDays: 30, buildsKeepLatest: 5 }, admin)
    expect(set.status, JSON.stringify(set.body)).toBe(200)
    expect(set.body.data.retention).toEqual({ auditDays: null, buildsDays: 30, buildsKeepLatest: 5 })
    expect((await put(org, { auditDays: 90 })).body.data.retention).toEqual({
      auditDays: 90,
      buildsDays: 30,
      buildsKeepLatest: 5,
    })
    expect((await put(org, { buildsDays: null })).status).toBe(200)
    expect((await as(t, owner).get(`/v1/organizations/${org.id}`)).body.data.retention).toEqual({
      auditDays: 90,
      buildsDays: null,
      buildsKeepLatest: 5,
    })
    const history = (await as(t, owner).get(`/v1/organizations/${org.id}/audit?action=organization.update`))
      .body.data.items
    expect(history[0].details.changes).toEqual({ 'retention.buildsDays': { from: 30, to: null } })
  })

  it('refuses negative, fractional, non-numeric and unknown fields with 3000 naming the field', async () => {
    const org = await createOrg(t, owner)
    expectValidation(await put(org, { auditDays: -1 }), '/body/retention/auditDays')
    expectValidation(await put(org, { buildsDays: 1.5 }), '/body/retention/buildsDays')
    expectValidation(await put(org, { buildsKeepLatest: '3' }), '/body/retention/buildsKeepLatest')
    expectValidation(await put(org, { days: 3 }), '/body/retention/days')
    expectValidation(await put(org, 30), '/body/retention')
    expect((await as(t, owner).get(`/v1/organizations/${org.id}`)).body.data.retention.auditDays).toBeNull()
  })

  it('is not changed by editors and viewers (4003)', async () => {
    const org = await createOrg(t, owner)
    for (const role of ['editor', 'viewer'] as const) {
      const member = await addMember(t, owner, org, role)
      const reply = await put(org, { auditDays: 1 }, member)
      expect(reply.status).toBe(403)
      expect(reply.body.error.code).toBe(4003)
    }
  })
})

describe('the retention step', () => {
  it('removes builds older than buildsDays beyond the newest buildsKeepLatest per app, and their objects', async () => {
    const org = await createOrg(t, owner)
    const a = await appWithBuilds(org, 'A', 4)
    const b = await appWithBuilds(org, 'B', 1)
    expect((await put(org, { buildsDays: 7, buildsKeepLatest: 2 })).status).toBe(200)

    // Six days on nothing is old enough.
    expect((await applyRetention(t.db, daysLater(6), org.id, options)).builds).toBe(0)
    expect(await buildIds(org)).toEqual([...a.builds, ...b.builds].sort())

    const run = await applyRetention(t.db, daysLater(8), org.id, options)
    expect(run).toMatchObject({ builds: 2, events: 0, bytes: 500 + 501 })
    // A's two oldest go; its two newest and B's only build stay.
    expect(await buildIds(org)).toEqual([a.builds[2], a.builds[3], b.builds[0]].sort())
    await purgeNow(t.db)
    const keys = [...(await objectsUnder(t.storage, `${org.id}/`)).keys()].sort()
    expect(keys).toEqual(
      [
        `${org.id}/${a.id}/${a.builds[2]}`,
        `${org.id}/${a.id}/${a.builds[3]}`,
        `${org.id}/${b.id}/${b.builds[0]}`,
      ].sort(),
    )
    const counts = (await as(t, owner).get(`/v1/organizations/${org.id}/apps/${a.id}/builds`)).body.data
    expect(counts.totalDocs).toBe(2)
  })

  it('by age alone (no keep-latest) removes every old build; keep-latest alone removes none', async () => {
    const org = await createOrg(t, owner)
    await appWithBuilds(org, 'A', 3)
    expect((await put(org, { buildsKeepLatest: 1 })).status).toBe(200)
    expect((await applyRetention(t.db, daysLater(400), org.id, options)).builds).toBe(0)
    expect((await put(org, { buildsDays: 1, buildsKeepLatest: null })).status).toBe(200)
    expect((await applyRetention(t.db, daysLater(2), org.id, options)).builds).toBe(3)
    expect(await buildIds(org)).toEqual([])
  })

  it('removes history older than auditDays, in batches, and records one audit event with its counts', async () => {
    const org = await createOrg(t, owner)
    await appWithBuilds(org, 'A', 2)
    for (let i = 0; i < 30; i++) await put(org, { buildsKeepLatest: i })
    expect((await put(org, { auditDays: 90, buildsDays: 90, buildsKeepLatest: 1 })).status).toBe(200)
    const before = await auditCount(org)
    expect(before).toBeGreaterThan(30)

    // A budget of 0 ms shrinks batches to the sizer's floor (50 rows): the run takes several.
    const run = await applyRetention(t.db, daysLater(91), org.id, { targetMs: 0 })
    expect(run).toMatchObject({ builds: 1, events: before })
    const history = (await as(t, owner).get(`/v1/organizations/${org.id}/audit`)).body.data.items
    expect(history).toHaveLength(1)
    expect(history[0]).toMatchObject({
      action: 'organization.retention',
      actor: null,
      details: { builds: 1, buildsDays: 90, events: before, auditDays: 90 },
    })
    // A day later nothing is 90 days old: no second event.
    expect((await applyRetention(t.db, daysLater(1), org.id, options)).events).toBe(0)
    expect(await auditCount(org)).toBe(1)
  })

  it('never touches an organization under legal hold, nor one being deleted', async () => {
    const held = await createOrg(t, owner)
    await appWithBuilds(held, 'A', 2)
    expect((await put(held, { auditDays: 0, buildsDays: 0 })).status).toBe(200)
    await placeLegalHold(t.db, held.id, 'litigation')
    const deleted = await createOrg(t, owner)
    await appWithBuilds(deleted, 'A', 1)
    expect((await put(deleted, { auditDays: 0, buildsDays: 0 })).status).toBe(200)
    const before = { held: await auditCount(held), deleted: await auditCount(deleted) }
    // Deleted with a grace period, so nothing of it is purged while the test looks.
    await t.db.updateTable('organizations').set({ status: 'deleting' }).where('id', '=', deleted.id).execute()

    for (const org of [held, deleted]) {
      expect(await applyRetention(t.db, daysLater(10), org.id, options)).toMatchObject({
        builds: 0,
        events: 0,
      })
    }
    const clock = daysLater(10)
    while (await retentionStep(t.db, clock, options)) {
      // every other due organization
    }
    expect(await buildIds(held)).toHaveLength(2)
    expect(await buildIds(deleted)).toHaveLength(1)
    expect(await auditCount(held)).toBe(before.held)
    expect(await auditCount(deleted)).toBe(before.deleted)
  })

  it('applies each policy once per interval, and emits organization.retention.applied to webhooks', async () => {
    const hook = await startReceiver()
    const delivery = testDeliveryWorker(t)
    try {
      const org = await createOrg(t, owner)
      const endpoint = await as(t, owner).post(`/v1/organizations/${org.id}/webhooks`, {
        url: hook.url,
        events: ['organization.retention.applied'],
      })
      expect(endpoint.status).toBe(200)
      await appWithBuilds(org, 'A', 3)
      expect((await put(org, { buildsDays: 30, buildsKeepLatest: 1 })).status).toBe(200)

      const clock = daysLater(31)
      let steps = 0
      while (await retentionStep(t.db, clock, options)) steps++
      expect(steps).toBeGreaterThanOrEqual(1)
      expect(await buildIds(org)).toHaveLength(1)
      // Within the interval nothing is due again; after it, the policy is looked at again.
      expect(await retentionStep(t.db, clock, options)).toBe(false)
      clock.advance(61 * 60_000)
      expect(await retentionStep(t.db, clock, options)).toBe(true)

      await delivery.drain()
      const events = hook.verified(endpoint.body.data.secret).map((r) => r.event)
      expect(events).toHaveLength(1)
      expect(events[0]).toMatchObject({
        type: 'organization.retention.applied',
        data: {
          organization: { id: org.id },
          actor: null,
          removed: { builds: 2, bytes: 500 + 501, auditEvents: 0 },
          retention: { auditDays: null, buildsDays: 30, buildsKeepLatest: 1 },
        },
      })
    } finally {
      await delivery.close()
      await hook.close()
    }
  })

  it('finds the organization that is due through its partial index, not by reading every organization', async () => {
    const plans: string[] = []
    const conditions = [
      (eb: Parameters<Parameters<typeof dueOrganizationQuery>[1]>[0]) =>
        eb('retention_checked_at', 'is', null),
      (eb: Parameters<Parameters<typeof dueOrganizationQuery>[1]>[0]) =>
        eb('retention_checked_at', '<', new Date().toISOString()),
    ]
    for (const checked of conditions) {
      const compiled = dueOrganizationQuery(t.db, checked).compile()
      plans.push(
        await t.db.transaction().execute(async (trx) => {
          // With a handful of rows PostgreSQL would rather scan; ask for the plan it takes at scale.
          if (dialect === 'postgres') await sql`set local enable_seqscan = off`.execute(trx)
          const prefix = dialect === 'postgres' ? 'explain ' : 'explain query plan '
          const result = await trx.executeQuery({ ...compiled, sql: prefix + compiled.sql })
          return result.rows.map((row) => Object.values(row as object).join(' ')).join('\n')
        }),
      )
    }
    for (const plan of plans) {
      expect(plan).toContain('organizations_retention_due')
      expect(plan).not.toMatch(/SCAN organizations\b(?! USING)|Seq Scan|TEMP B-TREE|Sort/)
    }
  })
})
