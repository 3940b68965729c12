import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from './support/app.js'
import { addMember, as, createOrg, createUser, type TestOrg, type TestUser } from './support/factories.js'

// docs/api.md §2 (v1.1), input is strict: a JSON body is never coerced, an unknown field or a blank required name
// is a 3000 naming the field, enum errors list the allowed values, query strings are bounded; and no client
// mistake is a 500. Each case here was a 200 that changed data, or a 500, before.

let t: TestApp
let owner: TestUser
let org: TestOrg
beforeAll(async () => {
  t = await buildTestApp()
  owner = await createUser(t, 'owner')
  org = await createOrg(t, owner)
})
afterAll(async () => t.close())

const orgUrl = () => `/v1/organizations/${org.id}`

/** The field errors of a 3000, as `{path: message}`. */
function errorsOf(reply: { status: number; body: any }): Record<string, string> {
  expect(reply.status, JSON.stringify(reply.body)).toBe(400)
  expect(reply.body.error.code).toBe(3000)
  const errors = reply.body.error.data.errors as { path: string; message: string }[]
  // One error per field.
  expect(new Set(errors.map((e) => e.path)).size).toBe(errors.length)
  return Object.fromEntries(errors.map((e) => [e.path, e.message]))
}

async function organizationCount(user: TestUser): Promise<number> {
  return (await as(t, user).get('/v1/organizations')).body.data.totalDocs
}

describe('JSON bodies are not coerced', () => {
  it('a number, an array or a boolean where a string is expected is 3000, and nothing is created', async () => {
    const user = await createUser(t, 'coerced')
    for (const name of [123, ['a'], true, { value: 'a' }, null]) {
      const reply = await as(t, user).post('/v1/organizations', { name })
      expect(errorsOf(reply), JSON.stringify(name)).toEqual({ '/body/name': expect.any(String) })
    }
    expect(errorsOf(await as(t, user).post('/v1/organizations', { name: 7 }))).toEqual({
      '/body/name': 'must be string',
    })
    expect(await organizationCount(user)).toBe(0)
  })

  it('a string where a number is expected is 3000', async () => {
    const reply = await as(t, owner).post('/v1/users/me/tokens', { name: 'ci', expiresInDays: '30' })
    expect(errorsOf(reply)).toEqual({ '/body/expiresInDays': 'must be integer' })
  })

  it('an update with a wrong-typed value changes nothing', async () => {
    const reply = await as(t, owner).put(orgUrl(), { name: ['Renamed'], webSiteUrl: 5 })
    expect(errorsOf(reply)).toEqual({
      '/body/name': 'must be string',
      '/body/webSiteUrl': 'must be string or null',
    })
    expect((await as(t, owner).get(orgUrl())).body.data.name).toBe(org.name)
  })

  it('query strings and path parameters are still read from text', async () => {
    const reply = await as(t, owner).get(`${orgUrl()}/apps?page=1&limit=5`)
    expect(reply.status).toBe(200)
    expect(reply.body.data).toMatchObject({ page: 1, limit: 5 })
  })
})

describe('unknown fields', () => {
  it('are 3000 naming the field, not silently dropped', async () => {
    const user = await createUser(t, 'typo')
    const reply = await as(t, user).post('/v1/organizations', {
      name: 'Typo Inc',
      webSiteURL: 'https://typo.example',
    })
    expect(errorsOf(reply)).toEqual({ '/body/webSiteURL': 'is not a known field' })
    expect(await organizationCount(user)).toBe(0)
  })

  it('name every unknown field, escaped as a JSON pointer', async () => {
    const reply = await as(t, owner).put(orgUrl(), { name: 'x', 'a/b': 1, '~c': 2 })
    expect(errorsOf(reply)).toEqual({
      '/body/a~1b': 'is not a known field',
      '/body/~0c': 'is not a known field',
    })
  })

  it('are named up to a limit, however many there are', async () => {
    const user = await createUser(t, 'flood')
    const body = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`field${i}`, i]))
    const errors = errorsOf(await as(t, user).post('/v1/organizations', { name: 'Flood', ...body }))
    expect(Object.keys(errors)).toHaveLength(100)
    expect(errors['/body/field0']).toBe('is not a known field')
    expect(await organizationCount(user)).toBe(0)
  })

  it('in a body sent to a route that takes none are 3000, and the route does nothing', async () => {
    const doomed = await createOrg(t, owner)
    const reply = await as(t, owner).post(`/v1/organizations/${doomed.id}/subscriptions`, { plan: 'pro' })
    expect(reply.status).toBe(200)
    const cancel = `/v1/organizations/${doomed.id}/subscriptions/${reply.body.data.id}/cancel`
    expect(errorsOf(await as(t, owner).post(cancel, { reason: 'too expensive' }))).toEqual({
      '/body/reason': 'is not a known field',
    })
    const remove = await t.app.inject({
      method: 'DELETE',
      url: `/v1/organizations/${doomed.id}`,
      headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/json' },
      payload: '[1]',
    })
    expect(errorsOf({ status: remove.statusCode, body: remove.json() })).toEqual({
      '/body': 'must be empty: this route takes no body',
    })
    const seen = (await as(t, owner).get(`/v1/organizations/${doomed.id}`)).body.data
    expect(seen.subscriptions).toEqual([{ id: reply.body.data.id, plan: 'pro', status: 'active' }])
    // An empty object is no body: the dashboard sends one.
    expect((await as(t, owner).post(cancel, {})).status).toBe(200)
  })

  it('are refused after authentication, before lookup and permission', async () => {
    const stranger = await createUser(t, 'stranger')
    const viewer = await addMember(t, owner, org, 'viewer')
    expect((await as(t, null).put(orgUrl(), { bogus: 1 })).body.error.code).toBe(4002)
    for (const caller of [stranger, viewer]) {
      expect(errorsOf(await as(t, caller).put(orgUrl(), { bogus: 1 }))).toEqual({
        '/body/bogus': 'is not a known field',
      })
    }
  })
})

describe('names', () => {
  const BLANKS = ['', '   ', '\t\n', '\u00a0\u2003']

  it('a required name of only whitespace is 3000 naming the field, on every route that takes one', async () => {
    const app = (await as(t, owner).post(`${orgUrl()}/apps`, { name: 'Blank check' })).body.data
    const cases: [string, 'post' | 'put', (blank: string) => object, string][] = [
      ['/v1/organizations', 'post', (name) => ({ name }), '/body/name'],
      [orgUrl(), 'put', (name) => ({ name }), '/body/name'],
      [`${orgUrl()}/apps`, 'post', (name) => ({ name }), '/body/name'],
      [`${orgUrl()}/apps/${app.id}`, 'put', (name) => ({ name }), '/body/name'],
      ['/v1/users/me/tokens', 'post', (name) => ({ name }), '/body/name'],
      [`${orgUrl()}/subscriptions`, 'post', (plan) => ({ plan }), '/body/plan'],
      [
        `${orgUrl()}/devices`,
        'post',
        (serialNumber) => ({ platform: 'apple', serialNumber }),
        '/body/serialNumber',
      ],
      [`${orgUrl()}/change-owner`, 'post', (newOwner) => ({ newOwner }), '/body/newOwner'],
    ]
    for (const [url, method, body, path] of cases) {
      for (const blank of BLANKS) {
        const reply = await as(t, owner)[method](url, body(blank))
        expect(errorsOf(reply), `${method} ${url} ${JSON.stringify(blank)}`).toEqual({
          [path]: 'must not be blank',
        })
      }
    }
    const seen = (await as(t, owner).get(orgUrl())).body.data
    expect(seen).toMatchObject({ name: org.name, counts: { apps: 1, devices: 0 }, subscriptions: [] })
  })

  it('are trimmed on the way in, on create and on update alike', async () => {
    const created = await as(t, owner).post('/v1/organizations', { name: '  Trimmed Co \n' })
    expect(created.body.data.name).toBe('Trimmed Co')
    const renamed = await as(t, owner).put(`/v1/organizations/${created.body.data.id}`, {
      name: ' Renamed  ',
    })
    expect(renamed.body.data.name).toBe('Renamed')
    const app = await as(t, owner).post(`/v1/organizations/${created.body.data.id}/apps`, { name: ' App ' })
    expect(app.body.data.name).toBe('App')
    const token = await as(t, owner).post('/v1/users/me/tokens', { name: '\tci ' })
    expect(token.body.data.name).toBe('ci')
    const device = await as(t, owner).post(`/v1/organizations/${created.body.data.id}/devices`, {
      platform: 'android',
      serialNumber: ' SN-1 ',
      name: '   ',
    })
    expect(device.body.data).toMatchObject({ serialNumber: 'SN-1', name: '' })
    // Length limits apply to what is stored.
    const padded = await as(t, owner).post('/v1/organizations', { name: ` ${'n'.repeat(128)} ` })
    expect(padded.status).toBe(200)
  })
})

describe('enum errors', () => {
  it('list the allowed values, once per field', async () => {
    const viewer = await addMember(t, owner, org, 'viewer')
    expect(
      errorsOf(
        await as(t, owner).post(`${orgUrl()}/collaborators`, { email: 'e@example.test', role: 'boss' }),
      ),
    ).toEqual({ '/body/role': 'must be one of: admin, editor, viewer' })
    expect(
      errorsOf(await as(t, owner).put(`${orgUrl()}/collaborators/${viewer.collaboratorId}`, { role: 4 })),
    ).toEqual({ '/body/role': 'must be one of: admin, editor, viewer' })
    expect(
      errorsOf(await as(t, owner).post(`${orgUrl()}/devices`, { platform: 'linux', serialNumber: 'S' })),
    ).toEqual({ '/body/platform': 'must be one of: android, apple, windows' })
    expect(
      errorsOf(await as(t, owner).post(`${orgUrl()}/subscriptions`, { plan: 'p', status: 'x' })),
    ).toEqual({
      '/body/status': 'must be one of: active, trialing, past_due',
    })
    expect(errorsOf(await as(t, owner).get(`${orgUrl()}/collaborators?role=boss`))).toEqual({
      '/querystring/role': 'must be one of: owner, admin, editor, viewer',
    })
  })
})

describe('query strings are bounded', () => {
  const lists = () => [
    '/v1/organizations',
    '/v1/deletions',
    '/v1/users/me/tokens',
    `${orgUrl()}/collaborators`,
    `${orgUrl()}/apps`,
    `${orgUrl()}/devices`,
    `${orgUrl()}/subscriptions`,
    `${orgUrl()}/audit`,
  ]

  it('a page beyond what any collection can hold is 3000, never 500, on every list', async () => {
    for (const url of lists()) {
      for (const [page, message] of [
        ['1e20', 'must be <= 2147483647'],
        ['9223372036854775808', 'must be <= 2147483647'],
        ['2147483648', 'must be <= 2147483647'],
        ['1e400', 'must be a finite number'],
        ['Infinity', 'must be a finite number'],
      ]) {
        expect(errorsOf(await as(t, owner).get(`${url}?page=${page}`)), `${url} ${page}`).toEqual({
          '/querystring/page': message,
        })
      }
      expect(errorsOf(await as(t, owner).get(`${url}?limit=1e20`))).toHaveProperty(['/querystring/limit'])
    }
  })

  it('the last page that may exist answers an empty page', async () => {
    for (const url of lists()) {
      const reply = await as(t, owner).get(`${url}?page=2147483647&limit=100`)
      expect(reply.status, url).toBe(200)
      expect(reply.body.data).toMatchObject({ items: [], page: 2147483647, hasNextPage: false })
    }
  })
})

describe('deeply nested bodies', () => {
  const DEPTH = 9_000
  const deep = (inner: string) => `${'['.repeat(DEPTH)}${inner}${']'.repeat(DEPTH)}`
  const send = (method: 'POST' | 'DELETE', url: string, payload: string) =>
    t.app.inject({
      method,
      url,
      payload,
      headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/json' },
    })

  it('are 3000, not a stack overflow, on routes with and without a body', async () => {
    const user = await createUser(t, 'deep')
    const create = await send('POST', '/v1/organizations', `{"name":"Deep","extra":${deep('1')}}`)
    expect(errorsOf({ status: create.statusCode, body: create.json() })).toEqual({
      '/body/extra': 'is not a known field',
    })
    const name = await send('POST', '/v1/organizations', `{"name":${deep('"x"')}}`)
    expect(errorsOf({ status: name.statusCode, body: name.json() })).toEqual({
      '/body/name': 'must be string',
    })
    const remove = await send('DELETE', orgUrl(), `{"x":${deep('1')}}`)
    expect(errorsOf({ status: remove.statusCode, body: remove.json() })).toEqual({
      '/body/x': 'is not a known field',
    })
    expect(await organizationCount(user)).toBe(0)
    expect((await as(t, owner).get(orgUrl())).status).toBe(200)
  })

  it('are still searched to the bottom for NUL characters', async () => {
    const reply = await send('POST', '/v1/organizations', `{"name":"Deep","extra":${deep('"a\\u0000"')}}`)
    const errors = errorsOf({ status: reply.statusCode, body: reply.json() })
    expect(errors).toEqual({ [`/body/extra${'/0'.repeat(DEPTH)}`]: 'must not contain NUL characters' })
  })
})

describe('slugs', () => {
  const longest = (prefix: string) => `${prefix}${'x'.repeat(128 - prefix.length)}`

  it('every slug accepted at creation addresses its organization and app (up to 128 characters)', async () => {
    for (const length of [100, 101, 128]) {
      const slug = `s${length}-${'a'.repeat(length - 5)}z`.slice(0, length)
      const created = await as(t, owner).post('/v1/organizations', { name: `Long ${length}`, slug })
      expect(created.status, `${length}`).toBe(200)
      const byslug = await as(t, owner).get(`/v1/organizations/${slug.toUpperCase()}`)
      expect(byslug.status, `${length}`).toBe(200)
      expect(byslug.body.data.id).toBe(created.body.data.id)
      const appSlug = longest(`app${length}-`)
      const app = await as(t, owner).post(`/v1/organizations/${slug}/apps`, { name: 'a', slug: appSlug })
      expect(app.status).toBe(200)
      expect((await as(t, owner).get(`/v1/organizations/${slug}/apps/${appSlug}`)).body.data.id).toBe(
        app.body.data.id,
      )
    }
  })

  it('one limit: 129 characters is refused at creation, in a path and by check-slug, naming the field', async () => {
    const slug = `${'a'.repeat(128)}b`
    expect(errorsOf(await as(t, owner).post('/v1/organizations', { name: 'Too long', slug }))).toEqual({
      '/body/slug': 'must NOT have more than 128 characters',
    })
    expect(errorsOf(await as(t, owner).get(`/v1/organizations/${slug}`))).toEqual({
      '/params/organizationId': 'must NOT have more than 128 characters',
    })
    expect(errorsOf(await as(t, owner).get(`${orgUrl()}/apps/${slug}`))).toEqual({
      '/params/applicationId': 'must NOT have more than 128 characters',
    })
    expect((await as(t, owner).get(`/v1/organizations/check-slug/${'c'.repeat(200)}`)).body).toEqual({
      status: true,
      data: { valid: false, reason: 'must be 3 to 128 characters' },
    })
    // Longer than any parameter the router passes on: no route has such a path.
    expect((await as(t, owner).get(`/v1/organizations/${'d'.repeat(1000)}`)).body).toEqual({
      status: false,
      error: { code: 1002, message: 'Route not found' },
    })
  })
})
