import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from './support/app.js'
import { addMember, as, createOrg, createUser } from './support/factories.js'

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp()
})
afterAll(async () => t.close())

describe('organizations', () => {
  it('creates an organization with the caller as owner', async () => {
    const alice = await createUser(t, 'alice')
    const reply = await as(t, alice).post('/v1/organizations', {
      name: 'Acme Mobile',
      webSiteUrl: 'https://acme.test',
    })
    expect(reply.status).toBe(200)
    expect(reply.body.status).toBe(true)
    const org = reply.body.data
    expect(org.id).toMatch(/^[a-f0-9]{24}$/)
    expect(org).toMatchObject({
      name: 'Acme Mobile',
      webSiteUrl: 'https://acme.test',
      role: 'owner',
      owner: { id: alice.id, email: alice.email },
      subscriptions: [],
      counts: { apps: 0, devices: 0, collaborators: 1 },
    })
    expect(org.slug).toMatch(/^acme-mobile/)
  })

  it('gets by id and by slug, case-insensitively', async () => {
    const alice = await createUser(t, 'alice')
    const org = await createOrg(t, alice, { slug: `Case-${Date.now()}` })
    expect(org.slug).toBe(org.slug.toLowerCase())
    for (const ref of [org.id, org.id.toUpperCase(), org.slug, org.slug.toUpperCase()]) {
      const reply = await as(t, alice).get(`/v1/organizations/${ref}`)
      expect(reply.status, ref).toBe(200)
      expect(reply.body.data.id).toBe(org.id)
    }
  })

  it('refuses a taken slug with 5001 and a reserved one with 3000', async () => {
    const alice = await createUser(t, 'alice')
    const org = await createOrg(t, alice)
    const taken = await as(t, alice).post('/v1/organizations', { name: 'x', slug: org.slug.toUpperCase() })
    expect(taken.status).toBe(409)
    expect(taken.body.error).toMatchObject({ code: 5001, message: 'Conflict' })
    const reserved = await as(t, alice).post('/v1/organizations', { name: 'x', slug: 'check-slug' })
    expect(reserved.status).toBe(400)
    expect(reserved.body.error.code).toBe(3000)
    expect(reserved.body.error.data.errors[0].path).toBe('/body/slug')
  })

  it('validates the body', async () => {
    const alice = await createUser(t, 'alice')
    const reply = await as(t, alice).post('/v1/organizations', { name: '' })
    expect(reply.status).toBe(400)
    expect(reply.body).toMatchObject({ status: false, error: { code: 3000, message: 'Validation Error' } })
    expect(reply.body.error.data.errors[0]).toMatchObject({ path: '/body/name' })
  })

  it('lists only the caller organizations, paginated', async () => {
    const bob = await createUser(t, 'bob')
    const other = await createUser(t, 'other')
    await createOrg(t, other)
    for (let i = 0; i < 3; i++) await createOrg(t, bob, { name: `Bob ${i}` })
    const page1 = await as(t, bob).get('/v1/organizations?limit=2&sort=name:asc')
    expect(page1.status).toBe(200)
    expect(page1.body.data).toMatchObject({
      totalDocs: 3,
      limit: 2,
      page: 1,
      totalPages: 2,
      hasPrevPage: false,
      hasNextPage: true,
      prevPage: null,
      nextPage: 2,
    })
    expect(page1.body.data.items.map((o: { name: string }) => o.name)).toEqual(['Bob 0', 'Bob 1'])
    const page2 = await as(t, bob).get('/v1/organizations?limit=2&page=2&sort=name:asc')
    expect(page2.body.data.items.map((o: { name: string }) => o.name)).toEqual(['Bob 2'])
    const filtered = await as(t, bob).get('/v1/organizations?name=bob%201')
    expect(filtered.body.data.items.map((o: { name: string }) => o.name)).toEqual(['Bob 1'])
    const badSort = await as(t, bob).get('/v1/organizations?sort=password:asc')
    expect(badSort.status).toBe(400)
    expect(badSort.body.error.code).toBe(3000)
  })

  it('hides organizations from strangers (404) and forbids members without permission (403)', async () => {
    const owner = await createUser(t, 'owner')
    const stranger = await createUser(t, 'stranger')
    const org = await createOrg(t, owner)
    const viewer = await addMember(t, owner, org, 'viewer')
    expect((await as(t, stranger).get(`/v1/organizations/${org.id}`)).status).toBe(404)
    const put = await as(t, viewer).put(`/v1/organizations/${org.id}`, { name: 'nope' })
    expect(put.status).toBe(403)
    expect(put.body.error).toEqual({ code: 4003, message: 'Forbidden' })
  })

  it('updates name, slug and web site', async () => {
    const owner = await createUser(t, 'owner')
    const org = await createOrg(t, owner)
    const slug = `renamed-${Date.now()}`
    const reply = await as(t, owner).put(`/v1/organizations/${org.id}`, {
      name: 'Renamed',
      slug,
      webSiteUrl: null,
    })
    expect(reply.status).toBe(200)
    expect(reply.body.data).toMatchObject({ name: 'Renamed', slug, webSiteUrl: null })
    expect((await as(t, owner).get(`/v1/organizations/${slug}`)).body.data.name).toBe('Renamed')
    expect((await as(t, owner).get(`/v1/organizations/${org.slug}`)).status).toBe(404)
  })

  it('answers check-slug, in the query form the OpenAPI document lists and the path form alike', async () => {
    const owner = await createUser(t, 'owner')
    const org = await createOrg(t, owner)
    const check = async (slug: string) => {
      const byQuery = await as(t, owner).get(`/v1/organizations/check-slug?slug=${encodeURIComponent(slug)}`)
      const byPath = await as(t, owner).get(`/v1/organizations/check-slug/${slug}`)
      expect(byQuery).toMatchObject({ status: 200, body: byPath.body })
      return byQuery.body.data
    }
    expect(await check(`free-${Date.now()}`)).toEqual({ valid: true, reason: '' })
    expect(await check(org.slug)).toEqual({ valid: false, reason: 'is taken' })
    expect((await check('admin')).valid).toBe(false)
    expect((await check('a'.repeat(24))).valid).toBe(false)
    expect((await check('-bad-')).valid).toBe(false)
    const noSlug = await as(t, owner).get('/v1/organizations/check-slug')
    expect(noSlug.status).toBe(400)
    expect(noSlug.body.error).toMatchObject({ code: 3000, data: { errors: [{ path: '/querystring/slug' }] } })
  })

  it('lists the caller actions per role', async () => {
    const owner = await createUser(t, 'owner')
    const org = await createOrg(t, owner)
    const viewer = await addMember(t, owner, org, 'viewer')
    const mine = (await as(t, owner).get(`/v1/organizations/${org.id}/actions`)).body.data.items
    expect(mine).toContain('base.organization.management.remove')
    const theirs = (await as(t, viewer).get(`/v1/organizations/${org.id}/actions`)).body.data.items
    expect(theirs).toContain('base.organization.management.get')
    expect(theirs).not.toContain('base.organization.management.remove')
  })

  it('changes the owner; the old owner becomes admin', async () => {
    const owner = await createUser(t, 'owner')
    const org = await createOrg(t, owner)
    const admin = await addMember(t, owner, org, 'admin')
    const reply = await as(t, owner).post(`/v1/organizations/${org.id}/change-owner`, {
      newOwner: admin.email,
    })
    expect(reply.status).toBe(200)
    expect(reply.body.data).toEqual({ changed: true })
    const seen = await as(t, admin).get(`/v1/organizations/${org.id}`)
    expect(seen.body.data).toMatchObject({ role: 'owner', owner: { id: admin.id } })
    expect((await as(t, owner).get(`/v1/organizations/${org.id}`)).body.data.role).toBe('admin')
    // The former owner no longer holds ownerChange.
    expect(
      (await as(t, owner).post(`/v1/organizations/${org.id}/change-owner`, { newOwner: owner.id })).status,
    ).toBe(403)
    // Unknown target and self-target.
    expect(
      (
        await as(t, admin).post(`/v1/organizations/${org.id}/change-owner`, {
          newOwner: 'nobody@example.test',
        })
      ).status,
    ).toBe(404)
    expect(
      (await as(t, admin).post(`/v1/organizations/${org.id}/change-owner`, { newOwner: admin.id })).status,
    ).toBe(409)
  })
})

describe('check order on update', () => {
  it('a malformed slug is a validation error (3000) even for a stranger', async () => {
    const owner = await createUser(t, 'owner')
    const stranger = await createUser(t, 'stranger')
    const org = await createOrg(t, owner)
    const reply = await as(t, stranger).put(`/v1/organizations/${org.id}`, { slug: 'not a slug!' })
    expect(reply.status).toBe(400)
    expect(reply.body.error.data.errors[0].path).toBe('/body/slug')
  })
})
