import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from './support/app.js'
import { addMember, as, createOrg, createUser, type TestUser } from './support/factories.js'

// docs/api.md §2: every /v1 answer is the envelope, with the code table's status and message, in the stated
// check order — also for failures Fastify itself detects.

let t: TestApp
let owner: TestUser
beforeAll(async () => {
  t = await buildTestApp()
  owner = await createUser(t, 'owner')
})
afterAll(async () => t.close())

const raw = (options: {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  url: string
  payload?: string | Buffer
  headers?: Record<string, string>
}) => t.app.inject({ ...options, headers: { authorization: `Bearer ${owner.token}`, ...options.headers } })

describe('the envelope for failures Fastify detects', () => {
  it('unknown routes and methods: 404 / 1002', async () => {
    for (const [method, url] of [
      ['GET', '/v1/nothing-here'],
      ['PATCH', '/v1/organizations'],
      ['DELETE', '/v1/users/me'],
    ] as const) {
      const reply = await t.app.inject({ method, url, headers: { authorization: `Bearer ${owner.token}` } })
      expect(reply.statusCode, `${method} ${url}`).toBe(404)
      expect(reply.json()).toEqual({ status: false, error: { code: 1002, message: 'Route not found' } })
    }
  })

  it('malformed JSON: 400 / 3000', async () => {
    const reply = await raw({
      method: 'POST',
      url: '/v1/organizations',
      payload: '{"name": ',
      headers: { 'content-type': 'application/json' },
    })
    expect(reply.statusCode).toBe(400)
    expect(reply.json()).toEqual({
      status: false,
      error: {
        code: 3000,
        message: 'Validation Error',
        data: { errors: [{ path: '/body', message: 'must be valid JSON' }] },
      },
    })
  })

  it('a prototype-poisoning body is refused, not merged', async () => {
    const reply = await raw({
      method: 'POST',
      url: '/v1/organizations',
      payload: '{"name":"x","__proto__":{"admin":true}}',
      headers: { 'content-type': 'application/json' },
    })
    expect(reply.statusCode).toBe(400)
    expect(reply.json().error.code).toBe(3000)
  })

  it('a body over the limit: 413 in the envelope', async () => {
    const reply = await raw({
      method: 'POST',
      url: '/v1/organizations',
      payload: JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }),
      headers: { 'content-type': 'application/json' },
    })
    expect(reply.statusCode).toBe(413)
    expect(reply.json()).toEqual({ status: false, error: { code: 3002, message: 'Payload Too Large' } })
  })

  it('a body that is not JSON: 415 in the envelope', async () => {
    const reply = await raw({
      method: 'POST',
      url: '/v1/organizations',
      payload: 'name=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(reply.statusCode).toBe(415)
    expect(reply.json()).toEqual({
      status: false,
      error: { code: 3003, message: 'Unsupported Media Type', data: { accepts: ['application/json'] } },
    })
  })

  it('an empty JSON body on DELETE is no body, not an error', async () => {
    const org = await createOrg(t, owner)
    const reply = await raw({
      method: 'DELETE',
      url: `/v1/organizations/${org.id}`,
      payload: '',
      headers: { 'content-type': 'application/json' },
    })
    expect(reply.statusCode).toBe(200)
  })

  it('validation errors list every problem with its path', async () => {
    const reply = await as(t, owner).post('/v1/organizations', { name: '', webSiteUrl: 'ftp://nope' })
    expect(reply.status).toBe(400)
    expect(reply.body.error.data.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      '/body/name',
      '/body/webSiteUrl',
    ])
    const query = await as(t, owner).get('/v1/organizations?limit=1000&page=0')
    expect(query.body.error.data.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      '/querystring/limit',
      '/querystring/page',
    ])
  })
})

describe('the check order: auth → validation → lookup → permission → business rules', () => {
  it('auth before validation', async () => {
    const reply = await as(t, null).post('/v1/organizations', { name: '' })
    expect(reply.body.error.code).toBe(4002)
  })

  it('validation before lookup', async () => {
    const stranger = await createUser(t, 'stranger')
    const reply = await as(t, stranger).put(`/v1/organizations/${(await createOrg(t, owner)).id}`, {
      name: '',
    })
    expect(reply.body.error.code).toBe(3000)
  })

  it('lookup before permission, permission before business rules', async () => {
    const org = await createOrg(t, owner)
    await as(t, owner).post(`/v1/organizations/${org.id}/subscriptions`, { plan: 'pro' })
    const viewer = await addMember(t, owner, org, 'viewer')
    const stranger = await createUser(t, 'stranger')
    expect((await as(t, stranger).delete(`/v1/organizations/${org.id}`)).body.error.code).toBe(3001)
    expect((await as(t, viewer).delete(`/v1/organizations/${org.id}`)).body.error.code).toBe(4003)
    expect((await as(t, owner).delete(`/v1/organizations/${org.id}`)).body.error.code).toBe(5111)
  })
})

describe('unexpected errors', () => {
  it('answer 500 / 1000 with no stack, no SQL, and the request id to quote', async () => {
    const broken = await buildTestApp()
    try {
      const user = await createUser(broken, 'user')
      const org = await createOrg(broken, user)
      // Renamed rather than dropped: builds reference it, and PostgreSQL will not drop a referenced table.
      await sql`alter table apps rename to apps_gone`.execute(broken.db)
      const reply = await broken.app.inject({
        method: 'GET',
        url: `/v1/organizations/${org.id}/apps?name=x`,
        headers: { authorization: `Bearer ${user.token}` },
      })
      expect(reply.statusCode).toBe(500)
      expect(reply.json()).toEqual({ status: false, error: { code: 1000, message: 'Internal error' } })
      expect(reply.body).not.toMatch(/apps|select|sqlite|at .*\.ts/i)
      expect(reply.headers['x-request-id']).toEqual(expect.any(String))
    } finally {
      await broken.close()
    }
  })
})

describe('characters a database cannot store', () => {
  it('a NUL character in a query, body or path answers 3000 on both databases', async () => {
    const query = await as(t, owner).get('/v1/organizations?name=%00')
    expect(query.status).toBe(400)
    expect(query.body.error).toEqual({
      code: 3000,
      message: 'Validation Error',
      data: { errors: [{ path: '/querystring/name', message: 'must not contain NUL characters' }] },
    })
    const body = await as(t, owner).post('/v1/organizations', { name: 'a\u0000b' })
    expect(body.status).toBe(400)
    expect(body.body.error.data.errors[0].path).toBe('/body/name')
    const org = await createOrg(t, owner)
    const nested = await as(t, owner).post(`/v1/organizations/${org.id}/devices`, {
      platform: 'apple',
      serialNumber: 'x\u0000',
    })
    expect(nested.status).toBe(400)
    expect((await as(t, owner).get(`/v1/organizations/${org.id}`)).body.data.counts.devices).toBe(0)
  })
})
