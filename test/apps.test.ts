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
  countsOf,
  expectValidation,
} from './support/factories.js'

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp()
})
afterAll(async () => t.close())

const apps = (org: TestOrg) => `/v1/organizations/${org.id}/apps`

async function createApp(user: TestUser, org: TestOrg, body: Record<string, unknown>) {
  const reply = await as(t, user).post(apps(org), body)
  if (reply.status !== 200) throw new Error(`createApp failed: ${reply.status} ${JSON.stringify(reply.body)}`)
  return reply.body.data
}

describe('apps', () => {
  it('creates an app with a slug generated from its name, and finds it by id or slug', async () => {
    const { owner, org } = await ownerWithOrg(t)
    const reply = await as(t, owner).post(apps(org), {
      name: 'Field Service',
      description: 'For technicians',
    })
    expect(reply.status).toBe(200)
    const app = reply.body.data
    expect(Object.keys(app).sort()).toEqual(['createdAt', 'description', 'id', 'name', 'slug', 'updatedAt'])
    expect(app).toMatchObject({
      name: 'Field Service',
      slug: 'field-service',
      description: 'For technicians',
    })
    expect(app.id).toMatch(/^[a-f0-9]{24}$/)
    expect(app.createdAt).toBe(app.updatedAt)
    for (const ref of [app.id, app.id.toUpperCase(), app.slug, app.slug.toUpperCase()]) {
      const got = await as(t, owner).get(`${apps(org)}/${ref}`)
      expect(got.status, ref).toBe(200)
      expect(got.body.data).toEqual(app)
    }
    // The same name again gets a slug of its own.
    const second = await createApp(owner, org, { name: 'Field Service' })
    expect(second.slug).toMatch(/^field-service-[a-f0-9]{6}$/)
    expect(second.description).toBe('')
  })

  it('keeps the organization apps count exact across creates and deletes', async () => {
    const { owner, org } = await ownerWithOrg(t)
    const a = await createApp(owner, org, { name: 'A app' })
    await createApp(owner, org, { name: 'B app' })
    expect((await countsOf(t, owner, org)).apps).toBe(2)
    expect((await as(t, owner).delete(`${apps(org)}/${a.id}`)).body).toEqual({
      status: true,
      data: { delete: 'OK' },
    })
    expect((await countsOf(t, owner, org)).apps).toBe(1)
    expect((await as(t, owner).get(`${apps(org)}/${a.id}`)).status).toBe(404)
    expect((await as(t, owner).delete(`${apps(org)}/${a.id}`)).status).toBe(404)
    expect((await countsOf(t, owner, org)).apps).toBe(1)
  })

  it('validates bodies, params and queries with 3000', async () => {
    const { owner, org } = await ownerWithOrg(t)
    const post = (body: unknown) => as(t, owner).post(apps(org), body)
    expectValidation(await post({}), '/body/name')
    expectValidation(await post({ name: '' }), '/body/name')
    expectValidation(await post({ name: 'x'.repeat(129) }), '/body/name')
    expectValidation(await post({ name: 'ok', description: { text: 'x' } }), '/body/description')
    for (const slug of [
      'ab',
      '-lead',
      'trail-',
      'under_score',
      'a'.repeat(129),
      'abcdef0123456789abcdef01',
      'new',
    ])
      expectValidation(await post({ name: 'ok', slug }), '/body/slug')
    expectValidation(await as(t, owner).put(`${apps(org)}/whatever`, { name: '' }), '/body/name')
    expectValidation(await as(t, owner).get(`${apps(org)}/a!b`), '/params/applicationId')
    expectValidation(await as(t, owner).get(`${apps(org)}?sort=secret:asc`), '/querystring/sort')
    expectValidation(await as(t, owner).get(`${apps(org)}?limit=101`), '/querystring/limit')
    expect((await countsOf(t, owner, org)).apps).toBe(0)
  })

  it('answers 5001 for a slug taken within the organization, but not across organizations', async () => {
    const { owner, org } = await ownerWithOrg(t)
    const other = await createOrg(t, owner)
    const first = await createApp(owner, org, { name: 'One', slug: 'My-App' })
    expect(first.slug).toBe('my-app')
    const taken = await as(t, owner).post(apps(org), { name: 'Two', slug: 'MY-APP' })
    expect(taken.status).toBe(409)
    expect(taken.body.error).toMatchObject({ code: 5001, message: 'Conflict' })
    expect((await createApp(owner, other, { name: 'Elsewhere', slug: 'my-app' })).slug).toBe('my-app')
    const second = await createApp(owner, org, { name: 'Two' })
    const rename = await as(t, owner).put(`${apps(org)}/${second.id}`, { slug: 'my-app' })
    expect(rename.status).toBe(409)
    expect(rename.body.error.code).toBe(5001)
    // Keeping one's own slug is no conflict.
    expect((await as(t, owner).put(`${apps(org)}/${first.id}`, { slug: 'MY-APP' })).status).toBe(200)
    expect((await countsOf(t, owner, org)).apps).toBe(2)
  })

  it('updates name, slug and description', async () => {
    const { owner, org } = await ownerWithOrg(t)
    const app = await createApp(owner, org, { name: 'Before', description: 'old' })
    const reply = await as(t, owner).put(`${apps(org)}/${app.slug}`, {
      name: 'After',
      slug: 'after-app',
      description: '',
    })
    expect(reply.status).toBe(200)
    expect(reply.body.data).toMatchObject({ id: app.id, name: 'After', slug: 'after-app', description: '' })
    expect(reply.body.data.createdAt).toBe(app.createdAt)
    expect(reply.body.data.updatedAt >= app.updatedAt).toBe(true)
    expect((await as(t, owner).get(`${apps(org)}/after-app`)).body.data).toEqual(reply.body.data)
    expect((await as(t, owner).get(`${apps(org)}/${app.slug}`)).status).toBe(404)
    // A partial update keeps the other fields.
    const partial = await as(t, owner).put(`${apps(org)}/${app.id}`, { description: 'new' })
    expect(partial.body.data).toMatchObject({ name: 'After', slug: 'after-app', description: 'new' })
  })

  it("answers 404 for unknown apps, another organization's apps and strangers", async () => {
    const { owner, org } = await ownerWithOrg(t)
    const orgB = await createOrg(t, owner)
    const appB = await createApp(owner, orgB, { name: 'Only in B', slug: 'only-in-b' })
    const stranger = await createUser(t, 'stranger')
    for (const ref of [appB.id, appB.slug, 'ffffffffffffffffffffffff']) {
      const url = `${apps(org)}/${ref}`
      expect((await as(t, owner).get(url)).status, ref).toBe(404)
      expect((await as(t, owner).put(url, { name: 'hijack' })).status, ref).toBe(404)
      const del = await as(t, owner).delete(url)
      expect(del.status, ref).toBe(404)
      expect(del.body.error).toEqual({ code: 3001, message: 'Entity not found' })
    }
    expect((await as(t, owner).get(`${apps(orgB)}/${appB.id}`)).body.data.name).toBe('Only in B')
    expect((await countsOf(t, owner, orgB)).apps).toBe(1)
    expect((await as(t, stranger).get(apps(orgB))).status).toBe(404)
    expect((await as(t, stranger).get(`${apps(orgB)}/${appB.id}`)).status).toBe(404)
    expect((await as(t, stranger).post(apps(orgB), { name: 'x' })).status).toBe(404)
    expect((await as(t, null).get(apps(orgB))).body.error.code).toBe(4002)
  })

  it('lists apps paginated, sorted and filtered by name', async () => {
    const { owner, org } = await ownerWithOrg(t)
    for (const name of ['Delta', 'alpha', 'Charlie', 'Bravo', '100% Fun'])
      await createApp(owner, org, { name })
    await createApp(owner, await createOrg(t, owner), { name: 'Alpha elsewhere' })
    const page1 = await as(t, owner).get(`${apps(org)}?sort=slug:asc&limit=2`)
    expect(page1.status).toBe(200)
    expect(page1.body.data).toMatchObject({
      totalDocs: 5,
      limit: 2,
      page: 1,
      totalPages: 3,
      hasPrevPage: false,
      hasNextPage: true,
      prevPage: null,
      nextPage: 2,
    })
    expect(page1.body.data.items.map((a: { slug: string }) => a.slug)).toEqual(['100-fun', 'alpha'])
    const page3 = await as(t, owner).get(`${apps(org)}?sort=slug:asc&limit=2&page=3`)
    expect(page3.body.data.items.map((a: { slug: string }) => a.slug)).toEqual(['delta'])
    expect(page3.body.data).toMatchObject({ hasNextPage: false, nextPage: null, prevPage: 2 })
    const byName = await as(t, owner).get(`${apps(org)}?sort=name:desc`)
    expect(byName.body.data.items.map((a: { name: string }) => a.name)).toEqual([
      'alpha',
      'Delta',
      'Charlie',
      'Bravo',
      '100% Fun',
    ])
    const filtered = await as(t, owner).get(`${apps(org)}?name=A`)
    expect(filtered.body.data.totalDocs).toBe(4)
    expect(filtered.body.data.items.map((a: { name: string }) => a.name).sort()).toEqual([
      'Bravo',
      'Charlie',
      'Delta',
      'alpha',
    ])
    // The user's text is matched literally: % is no wildcard.
    const percent = await as(t, owner).get(`${apps(org)}?name=${encodeURIComponent('%')}`)
    expect(percent.body.data.items.map((a: { name: string }) => a.name)).toEqual(['100% Fun'])
    expect(percent.body.data.totalDocs).toBe(1)
    const newest = await as(t, owner).get(apps(org))
    expect(newest.body.data.items).toHaveLength(5)
    const created = newest.body.data.items.map((a: { createdAt: string }) => a.createdAt)
    expect(created).toEqual([...created].sort().reverse())
  })

  it('lets every role read, and only owner, admin and editor write', async () => {
    const { owner, org } = await ownerWithOrg(t)
    const members = {
      owner,
      admin: await addMember(t, owner, org, 'admin'),
      editor: await addMember(t, owner, org, 'editor'),
      viewer: await addMember(t, owner, org, 'viewer'),
    }
    const fixture = await createApp(owner, org, { name: 'Fixture' })
    for (const [role, user] of Object.entries(members)) {
      const canWrite = role !== 'viewer'
      expect((await as(t, user).get(apps(org))).status, role).toBe(200)
      expect((await as(t, user).get(`${apps(org)}/${fixture.id}`)).status, role).toBe(200)
      const created = await as(t, user).post(apps(org), { name: `By ${role}` })
      expect(created.status, role).toBe(canWrite ? 200 : 403)
      const updated = await as(t, user).put(`${apps(org)}/${fixture.id}`, { description: role })
      expect(updated.status, role).toBe(canWrite ? 200 : 403)
      const target = canWrite ? created.body.data.id : fixture.id
      const removed = await as(t, user).delete(`${apps(org)}/${target}`)
      expect(removed.status, role).toBe(canWrite ? 200 : 403)
      if (!canWrite) expect(removed.body.error).toEqual({ code: 4003, message: 'Forbidden' })
    }
    expect((await countsOf(t, owner, org)).apps).toBe(1)
    // Validation comes before the permission check, the permission check before the lookup of the app.
    expectValidation(await as(t, members.viewer).post(apps(org), { name: '' }), '/body/name')
    expect((await as(t, members.viewer).delete(`${apps(org)}/ffffffffffffffffffffffff`)).status).toBe(403)
  })
})
