import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, dialect, type TestApp } from './support/app.js'
import {
  addMember,
  as,
  createOrg,
  createUser,
  type TestOrg,
  type TestUser,
  ownerWithOrg,
  expectValidation,
} from './support/factories.js'

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp()
})
afterAll(async () => t.close())

const subscriptions = (org: TestOrg) => `/v1/organizations/${org.id}/subscriptions`
const cancelUrl = (org: TestOrg, id: string) => `${subscriptions(org)}/${id}/cancel`

async function subscribe(user: TestUser, org: TestOrg, body: Record<string, unknown>) {
  const reply = await as(t, user).post(subscriptions(org), body)
  if (reply.status !== 200) throw new Error(`subscribe failed: ${reply.status} ${JSON.stringify(reply.body)}`)
  return reply.body.data
}

describe('subscriptions', () => {
  it('records a subscription, active unless the provider says otherwise', async () => {
    const { owner, org } = await ownerWithOrg(t)
    const reply = await as(t, owner).post(subscriptions(org), { plan: 'business' })
    expect(reply.status).toBe(200)
    const sub = reply.body.data
    expect(Object.keys(sub).sort()).toEqual(['canceledAt', 'createdAt', 'id', 'plan', 'status'])
    expect(sub).toMatchObject({ plan: 'business', status: 'active', canceledAt: null })
    expect(sub.id).toMatch(/^[a-f0-9]{24}$/)
    const trial = await subscribe(owner, org, { plan: 'enterprise', status: 'trialing' })
    expect(trial.status).toBe('trialing')
    expect((await subscribe(owner, org, { plan: 'legacy', status: 'past_due' })).status).toBe('past_due')
    const entity = await as(t, owner).get(`/v1/organizations/${org.id}`)
    expect(entity.body.data.subscriptions).toEqual(
      expect.arrayContaining([
        { id: sub.id, plan: 'business', status: 'active' },
        { id: trial.id, plan: 'enterprise', status: 'trialing' },
      ]),
    )
  })

  it('cancels once; cancelling again is a conflict', async () => {
    const { owner, org } = await ownerWithOrg(t)
    const sub = await subscribe(owner, org, { plan: 'business' })
    const reply = await as(t, owner).post(cancelUrl(org, sub.id))
    expect(reply.status).toBe(200)
    expect(reply.body.data).toMatchObject({ id: sub.id, plan: 'business', status: 'canceled' })
    expect(Date.parse(reply.body.data.canceledAt)).toBeGreaterThanOrEqual(Date.parse(sub.createdAt))
    const listed = await as(t, owner).get(subscriptions(org))
    expect(listed.body.data.items).toEqual([reply.body.data])
    const twice = await as(t, owner).post(cancelUrl(org, sub.id))
    expect(twice.status).toBe(409)
    expect(twice.body.error).toMatchObject({ code: 5001, message: 'Conflict' })
    expect((await as(t, owner).get(subscriptions(org))).body.data.items).toEqual([reply.body.data])
  })

  it('validates bodies, params and queries with 3000', async () => {
    const { owner, org } = await ownerWithOrg(t)
    const post = (body: unknown) => as(t, owner).post(subscriptions(org), body)
    expectValidation(await post({}), '/body/plan')
    expectValidation(await post({ plan: '' }), '/body/plan')
    expectValidation(await post({ plan: 'p'.repeat(65) }), '/body/plan')
    expectValidation(await post({ plan: 'business', status: 'canceled' }), '/body/status')
    expectValidation(await post({ plan: 'business', status: 'paused' }), '/body/status')
    expectValidation(await as(t, owner).post(cancelUrl(org, 'nope')), '/params/subscriptionId')
    expectValidation(await as(t, owner).get(`${subscriptions(org)}?status=paused`), '/querystring/status')
    expectValidation(await as(t, owner).get(`${subscriptions(org)}?sort=price`), '/querystring/sort')
    expect((await as(t, owner).get(subscriptions(org))).body.data.totalDocs).toBe(0)
  })

  it("answers 404 for unknown subscriptions, another organization's and strangers", async () => {
    const { owner, org } = await ownerWithOrg(t)
    const orgB = await createOrg(t, owner)
    const subB = await subscribe(owner, orgB, { plan: 'business' })
    for (const id of [subB.id, 'ffffffffffffffffffffffff']) {
      const reply = await as(t, owner).post(cancelUrl(org, id))
      expect(reply.status, id).toBe(404)
      expect(reply.body.error).toEqual({ code: 3001, message: 'Entity not found' })
    }
    expect((await as(t, owner).get(subscriptions(orgB))).body.data.items[0].status).toBe('active')
    const stranger = await createUser(t, 'stranger')
    expect((await as(t, stranger).get(subscriptions(orgB))).status).toBe(404)
    expect((await as(t, stranger).post(subscriptions(orgB), { plan: 'x' })).status).toBe(404)
    expect((await as(t, stranger).post(cancelUrl(orgB, subB.id))).status).toBe(404)
  })

  it('lists subscriptions paginated, newest first, filtered by status', async () => {
    const { owner, org } = await ownerWithOrg(t)
    const made = []
    for (const plan of ['basic', 'business', 'enterprise']) made.push(await subscribe(owner, org, { plan }))
    await as(t, owner).post(cancelUrl(org, made[0].id))
    await subscribe(owner, await createOrg(t, owner), { plan: 'elsewhere' })
    const page1 = await as(t, owner).get(`${subscriptions(org)}?limit=2&sort=plan:asc`)
    expect(page1.body.data).toMatchObject({ totalDocs: 3, totalPages: 2, hasNextPage: true, nextPage: 2 })
    expect(page1.body.data.items.map((s: { plan: string }) => s.plan)).toEqual(['basic', 'business'])
    const page2 = await as(t, owner).get(`${subscriptions(org)}?limit=2&page=2&sort=plan:asc`)
    expect(page2.body.data.items.map((s: { plan: string }) => s.plan)).toEqual(['enterprise'])
    const active = await as(t, owner).get(`${subscriptions(org)}?status=active`)
    expect(active.body.data.totalDocs).toBe(2)
    expect(active.body.data.items.map((s: { plan: string }) => s.plan).sort()).toEqual([
      'business',
      'enterprise',
    ])
    const newest = (await as(t, owner).get(subscriptions(org))).body.data.items
    const created = newest.map((s: { createdAt: string }) => s.createdAt)
    expect(created).toEqual([...created].sort().reverse())
  })

  it('is for the owner alone', async () => {
    const { owner, org } = await ownerWithOrg(t)
    const sub = await subscribe(owner, org, { plan: 'business' })
    for (const role of ['admin', 'editor', 'viewer'] as const) {
      const member = await addMember(t, owner, org, role)
      for (const reply of [
        await as(t, member).get(subscriptions(org)),
        await as(t, member).post(subscriptions(org), { plan: 'sneaky' }),
        await as(t, member).post(cancelUrl(org, sub.id)),
      ]) {
        expect(reply.status, role).toBe(403)
        expect(reply.body.error).toEqual({ code: 4003, message: 'Forbidden' })
      }
    }
    const listed = await as(t, owner).get(subscriptions(org))
    expect(listed.body.data.items).toMatchObject([{ id: sub.id, status: 'active' }])
  })

  it('blocks deletion while live, and cannot be added once the organization is deleted', async () => {
    const { owner, org } = await ownerWithOrg(t)
    const sub = await subscribe(owner, org, { plan: 'business', status: 'past_due' })
    const blocked = await as(t, owner).delete(`/v1/organizations/${org.id}`)
    expect(blocked.status).toBe(400)
    expect(blocked.body.error.code).toBe(5111)
    await as(t, owner).post(cancelUrl(org, sub.id))
    expect((await as(t, owner).delete(`/v1/organizations/${org.id}`)).status).toBe(200)
    const late = await as(t, owner).post(subscriptions(org), { plan: 'business' })
    expect(late.status).toBe(404)
    expect(late.body.error.code).toBe(3001)
  })

  // On SQLite the app and the test share one connection, so a write cannot be caught waiting on the lock.
  it.runIf(dialect === 'postgres')(
    'refuses a subscription that waited on the lock of a deletion committing first (3001, nothing written)',
    async () => {
      const { owner, org } = await ownerWithOrg(t)
      let reply: Promise<{ status: number; body: any }> | undefined
      await t.db.transaction().execute(async (trx) => {
        // What DELETE does: lock the organization row, then flip it to deleting.
        await trx.selectFrom('organizations').select('id').where('id', '=', org.id).forUpdate().execute()
        reply = as(t, owner).post(subscriptions(org), { plan: 'business' })
        // The write has passed its membership check and now waits on the row lock.
        for (;;) {
          const { rows } = await sql<{ n: number }>`
            select count(*)::int as n from pg_stat_activity
            where datname = current_database() and wait_event_type = 'Lock' and query ilike '%for no key update%'
          `.execute(t.db)
          if ((rows[0]?.n ?? 0) > 0) break
          await new Promise((resolve) => setTimeout(resolve, 5))
        }
        await trx.updateTable('organizations').set({ status: 'deleting' }).where('id', '=', org.id).execute()
      })
      const answer = await reply
      expect(answer?.status).toBe(404)
      expect(answer?.body.error.code).toBe(3001)
      const rows = await t.db
        .selectFrom('subscriptions')
        .select('id')
        .where('organization_id', '=', org.id)
        .execute()
      expect(rows).toEqual([])
      const audit = await t.db
        .selectFrom('audit_events')
        .select('action')
        .where('organization_id', '=', org.id)
        .where('entity', '=', 'subscription')
        .execute()
      expect(audit).toEqual([])
    },
  )
})
