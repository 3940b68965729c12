import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from './support/app.js'
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

const o = (org: TestOrg) => `/v1/organizations/${org.id}`

interface AuditEvent {
  id: string
  action: string
  entity: string
  entityId: string
  actor: { id: string; email: string } | null
  createdAt: string
}

/** The organization's whole history, newest first, read through the API as its owner. */
async function history(owner: TestUser, org: TestOrg, query = ''): Promise<AuditEvent[]> {
  const reply = await as(t, owner).get(`${o(org)}/audit?limit=100${query}`)
  if (reply.status !== 200) throw new Error(`audit failed: ${reply.status} ${JSON.stringify(reply.body)}`)
  return reply.body.data.items
}

async function ok(reply: Promise<{ status: number; body: any }>) {
  const { status, body } = await reply
  if (status !== 200) throw new Error(`expected 200, got ${status} ${JSON.stringify(body)}`)
  return body.data
}

describe('audit', () => {
  it('records exactly one event per change, with the entity and the actor who made it', async () => {
    const { owner, org } = await ownerWithOrg(t)
    const editor = await addMember(t, owner, org, 'editor')
    const before = (await history(owner, org)).length
    const app = await ok(as(t, editor).post(`${o(org)}/apps`, { name: 'Audited' }))
    await ok(as(t, editor).put(`${o(org)}/apps/${app.id}`, { description: 'changed' }))
    await ok(as(t, editor).delete(`${o(org)}/apps/${app.id}`))
    const device = await ok(
      as(t, editor).post(`${o(org)}/devices`, { platform: 'apple', serialNumber: 'AUD-1' }),
    )
    await ok(as(t, editor).delete(`${o(org)}/devices/${device.id}`))
    const sub = await ok(as(t, owner).post(`${o(org)}/subscriptions`, { plan: 'business' }))
    await ok(as(t, owner).post(`${o(org)}/subscriptions/${sub.id}/cancel`))

    const events = await history(owner, org)
    expect(events).toHaveLength(before + 7)
    const byEditor = { id: editor.id, email: editor.email }
    const byOwner = { id: owner.id, email: owner.email }
    const expected = [
      { action: 'app.create', entity: 'app', entityId: app.id, actor: byEditor },
      { action: 'app.update', entity: 'app', entityId: app.id, actor: byEditor },
      { action: 'app.remove', entity: 'app', entityId: app.id, actor: byEditor },
      { action: 'device.enroll', entity: 'device', entityId: device.id, actor: byEditor },
      { action: 'device.unenroll', entity: 'device', entityId: device.id, actor: byEditor },
      { action: 'subscription.create', entity: 'subscription', entityId: sub.id, actor: byOwner },
      { action: 'subscription.cancel', entity: 'subscription', entityId: sub.id, actor: byOwner },
    ]
    for (const event of expected) {
      const found = events.filter((e) => e.action === event.action && e.entityId === event.entityId)
      expect(found, event.action).toHaveLength(1)
      expect(found[0]).toMatchObject(event)
      expect(found[0]?.id).toMatch(/^[a-f0-9]{24}$/)
    }
    // The organization and collaborator events written before are there too, each once.
    expect(events.filter((e) => e.action === 'organization.create')).toMatchObject([
      { entity: 'organization', entityId: org.id, actor: byOwner },
    ])
    expect(events.filter((e) => e.action === 'collaborator.create')).toHaveLength(1)
  })

  it('records nothing for a change that fails', async () => {
    const { owner, org } = await ownerWithOrg(t)
    const viewer = await addMember(t, owner, org, 'viewer')
    const app = await ok(as(t, owner).post(`${o(org)}/apps`, { name: 'Taken', slug: 'taken' }))
    await ok(as(t, owner).post(`${o(org)}/devices`, { platform: 'android', serialNumber: 'DUP' }))
    const sub = await ok(as(t, owner).post(`${o(org)}/subscriptions`, { plan: 'business' }))
    await ok(as(t, owner).post(`${o(org)}/subscriptions/${sub.id}/cancel`))
    const before = await history(owner, org)

    const failures = [
      [409, await as(t, owner).post(`${o(org)}/apps`, { name: 'Again', slug: 'taken' })],
      [409, await as(t, owner).post(`${o(org)}/devices`, { platform: 'apple', serialNumber: 'DUP' })],
      [409, await as(t, owner).post(`${o(org)}/subscriptions/${sub.id}/cancel`)],
      [403, await as(t, viewer).post(`${o(org)}/apps`, { name: 'Viewer app' })],
      [403, await as(t, viewer).delete(`${o(org)}/apps/${app.id}`)],
      [404, await as(t, owner).delete(`${o(org)}/devices/ffffffffffffffffffffffff`)],
      [400, await as(t, owner).post(`${o(org)}/apps`, { name: '' })],
    ] as const
    for (const [status, reply] of failures) expect(reply.status, JSON.stringify(reply.body)).toBe(status)
    expect(await history(owner, org)).toEqual(before)
    expect((await as(t, owner).get(o(org))).body.data.counts).toMatchObject({ apps: 1, devices: 1 })
  })

  it('lists newest first, paginated without overlap', async () => {
    const { owner, org } = await ownerWithOrg(t)
    for (let i = 0; i < 6; i++) await ok(as(t, owner).post(`${o(org)}/apps`, { name: `App ${i}` }))
    const all = await history(owner, org)
    expect(all).toHaveLength(7)
    // Events of one millisecond are ordered by id, so the first event is among the oldest, not always last.
    const created = all.find((e) => e.action === 'organization.create')
    expect(created?.createdAt).toBe(all.at(-1)?.createdAt)
    const order = all.map((e) => [e.createdAt, e.id].join())
    expect(order).toEqual([...order].sort().reverse())

    const pages: AuditEvent[] = []
    for (let page = 1; page <= 3; page++) {
      const reply = await as(t, owner).get(`${o(org)}/audit?limit=3&page=${page}`)
      expect(reply.body.data).toMatchObject({
        totalDocs: 7,
        totalPages: 3,
        page,
        hasPrevPage: page > 1,
        hasNextPage: page < 3,
      })
      pages.push(...reply.body.data.items)
    }
    expect(pages).toEqual(all)
    const oldest = await as(t, owner).get(`${o(org)}/audit?sort=createdAt:asc&limit=1`)
    expect(oldest.body.data.items[0].createdAt).toBe(created?.createdAt)
  })

  it('filters by action, entity, entity id and time, and only within the organization', async () => {
    const { owner, org } = await ownerWithOrg(t)
    const other = await createOrg(t, owner)
    const app = await ok(as(t, owner).post(`${o(org)}/apps`, { name: 'Filtered' }))
    await ok(as(t, owner).put(`${o(org)}/apps/${app.id}`, { name: 'Filtered 2' }))
    await ok(as(t, owner).post(`${o(org)}/devices`, { platform: 'windows', serialNumber: 'F-1' }))
    await ok(as(t, owner).post(`${o(other)}/apps`, { name: 'Other org app' }))
    const all = await history(owner, org)
    expect(all.every((e) => e.action !== 'app.create' || e.entityId === app.id)).toBe(true)

    const actions = async (query: string) => (await history(owner, org, query)).map((e) => e.action).sort()
    expect(await actions('&action=app.update')).toEqual(['app.update'])
    expect(await actions('&entity=app')).toEqual(['app.create', 'app.update'])
    expect(await actions(`&entityId=${app.id.toUpperCase()}`)).toEqual(['app.create', 'app.update'])
    expect(await actions('&entity=device&action=device.enroll')).toEqual(['device.enroll'])
    expect(await actions('&action=app.remove')).toEqual([])
    const filtered = await as(t, owner).get(`${o(org)}/audit?entity=app&limit=1`)
    expect(filtered.body.data).toMatchObject({ totalDocs: 2, totalPages: 2 })

    // Bounds are inclusive, and any offset names the same instant.
    const update = all.find((e) => e.action === 'app.update')
    if (!update) throw new Error('no app.update event')
    const since = await history(owner, org, `&dateIni=${encodeURIComponent(update.createdAt)}`)
    expect(since.map((e) => e.id)).toContain(update.id)
    expect(since.every((e) => e.createdAt >= update.createdAt)).toBe(true)
    const until = await history(owner, org, `&dateEnd=${encodeURIComponent(update.createdAt)}`)
    expect(until.map((e) => e.id)).toContain(update.id)
    expect(until.every((e) => e.createdAt <= update.createdAt)).toBe(true)
    expect(since.length + until.length).toBeGreaterThanOrEqual(all.length + 1)
    const instant = new Date(update.createdAt)
    const shifted = new Date(instant.getTime() + 2 * 3600_000).toISOString().replace('Z', '+02:00')
    const exactly = await history(
      owner,
      org,
      `&dateIni=${encodeURIComponent(shifted)}&dateEnd=${encodeURIComponent(shifted)}`,
    )
    expect(exactly.map((e) => e.id)).toContain(update.id)
    expect(exactly.every((e) => e.createdAt === update.createdAt)).toBe(true)
    expect(await history(owner, org, '&dateIni=2999-01-01T00:00:00Z')).toEqual([])
    expect(await history(owner, org, '&dateEnd=2000-01-01T00:00:00Z')).toEqual([])
  })

  it('validates its query with 3000', async () => {
    const { owner, org } = await ownerWithOrg(t)
    const get = (query: string) => as(t, owner).get(`${o(org)}/audit?${query}`)
    expectValidation(await get('dateIni=yesterday'), '/querystring/dateIni')
    expectValidation(await get('dateIni=2024-01-01'), '/querystring/dateIni')
    expectValidation(await get('dateEnd=2024-02-30T00:00:00Z'), '/querystring/dateEnd')
    expectValidation(await get('dateIni=2016-12-31T23:59:60Z'), '/querystring/dateIni')
    expectValidation(
      await get('dateIni=2024-02-01T00:00:00Z&dateEnd=2024-01-01T00:00:00Z'),
      '/querystring/dateEnd',
    )
    expectValidation(await get('entityId=xyz'), '/querystring/entityId')
    expectValidation(await get('sort=action'), '/querystring/sort')
    expectValidation(await get('limit=0'), '/querystring/limit')
  })

  it('is readable by the owner and admins only', async () => {
    const { owner, org } = await ownerWithOrg(t)
    const expected = { admin: 200, editor: 403, viewer: 403 } as const
    for (const [role, status] of Object.entries(expected)) {
      const member = await addMember(t, owner, org, role as keyof typeof expected)
      const reply = await as(t, member).get(`${o(org)}/audit`)
      expect(reply.status, role).toBe(status)
      if (status === 403) expect(reply.body.error).toEqual({ code: 4003, message: 'Forbidden' })
    }
    expect((await as(t, owner).get(`${o(org)}/audit`)).status).toBe(200)
    const stranger = await createUser(t, 'stranger')
    expect((await as(t, stranger).get(`${o(org)}/audit`)).status).toBe(404)
    expect((await as(t, null).get(`${o(org)}/audit`)).body.error.code).toBe(4002)
  })
})
