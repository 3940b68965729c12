import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { addMember, as, createOrg, createUser, type TestOrg, type TestUser } from '../support/factories.js'

// Property (docs/api.md §2, input is strict): on every route that takes a JSON body, a valid body with values of
// the wrong type, blank names, missing required fields or unknown fields answers 3000 naming exactly those
// fields, and changes nothing in the database. Routes that take no body refuse any field sent to them.
// The caller owns the organization, so a body that got through would change something.
//
// The field table below is written from the contract, not read from the schemas; the test fails if the API
// grows a body route or a body field this table does not know.

const RUNS_PER_ROUTE = Number(process.env.PROPERTY_RUNS ?? 60)

type Kind =
  | { type: 'string' }
  | { type: 'name' } // required text, trimmed: blank is an error
  | { type: 'nullableString' }
  | { type: 'integer' }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'boolean' }
  | { type: 'list' } // a non-empty array (of event types)
  | { type: 'object' } // an object of fields of its own (checked by their own tests)

interface Fixture {
  org: TestOrg
  admin: TestUser
  viewerId: string
  appId: string
  deviceId: string
  subscriptionId: string
  tokenId: string
  webhookId: string
}

interface BodyRoute {
  method: 'POST' | 'PUT'
  path: string
  url(f: Fixture): string
  /** A body the route accepts. */
  valid(f: Fixture): Record<string, unknown>
  fields: Record<string, Kind>
  required: string[]
}

const o = (f: Fixture) => `/v1/organizations/${f.org.id}`
const text = { type: 'string' } as const
const name = { type: 'name' } as const
const ROLES = { type: 'enum', values: ['admin', 'editor', 'viewer'] } as const
const organizationFields = { name, slug: text, webSiteUrl: { type: 'nullableString' } } as const
const appFields = { name, slug: text, description: text } as const
const webhookFields = { url: text, events: { type: 'list' }, description: text } as const

const BODY_ROUTES: BodyRoute[] = [
  {
    method: 'POST',
    path: '/v1/users/me/tokens',
    url: () => '/v1/users/me/tokens',
    valid: () => ({ name: 'ci' }),
    fields: { name, expiresInDays: { type: 'integer' }, organizationId: text },
    required: ['name'],
  },
  {
    method: 'POST',
    path: '/v1/organizations',
    url: () => '/v1/organizations',
    valid: () => ({ name: 'Acme' }),
    fields: organizationFields,
    required: ['name'],
  },
  {
    method: 'PUT',
    path: '/v1/organizations/:organizationId',
    url: o,
    valid: () => ({ name: 'Renamed' }),
    fields: { ...organizationFields, retention: { type: 'object' } },
    required: [],
  },
  {
    method: 'POST',
    path: '/v1/organizations/:organizationId/change-owner',
    url: (f) => `${o(f)}/change-owner`,
    valid: (f) => ({ newOwner: f.admin.email }),
    fields: { newOwner: name },
    required: ['newOwner'],
  },
  {
    method: 'POST',
    path: '/v1/organizations/:organizationId/collaborators',
    url: (f) => `${o(f)}/collaborators`,
    valid: () => ({ email: 'newcomer@example.test', role: 'viewer' }),
    fields: { email: text, role: ROLES, name: text },
    required: ['email', 'role'],
  },
  {
    method: 'PUT',
    path: '/v1/organizations/:organizationId/collaborators/:collaboratorId',
    url: (f) => `${o(f)}/collaborators/${f.viewerId}`,
    valid: () => ({ role: 'editor' }),
    fields: { role: ROLES },
    required: ['role'],
  },
  {
    method: 'POST',
    path: '/v1/organizations/:organizationId/apps',
    url: (f) => `${o(f)}/apps`,
    valid: () => ({ name: 'New app' }),
    fields: appFields,
    required: ['name'],
  },
  {
    method: 'PUT',
    path: '/v1/organizations/:organizationId/apps/:applicationId',
    url: (f) => `${o(f)}/apps/${f.appId}`,
    valid: () => ({ name: 'Renamed app' }),
    fields: appFields,
    required: [],
  },
  {
    method: 'POST',
    path: '/v1/organizations/:organizationId/devices',
    url: (f) => `${o(f)}/devices`,
    valid: () => ({ platform: 'apple', serialNumber: 'SN-NEW' }),
    fields: {
      platform: { type: 'enum', values: ['android', 'apple', 'windows'] },
      serialNumber: name,
      name: text,
    },
    required: ['platform', 'serialNumber'],
  },
  {
    method: 'POST',
    path: '/v1/organizations/:organizationId/subscriptions',
    url: (f) => `${o(f)}/subscriptions`,
    valid: () => ({ plan: 'pro' }),
    fields: { plan: name, status: { type: 'enum', values: ['active', 'trialing', 'past_due'] } },
    required: ['plan'],
  },
  {
    method: 'POST',
    path: '/v1/organizations/:organizationId/apps/:applicationId/tokens',
    url: (f) => `${o(f)}/apps/${f.appId}/tokens`,
    valid: () => ({ name: 'ci' }),
    fields: { name, expiresInDays: { type: 'integer' } },
    required: ['name'],
  },
  {
    method: 'POST',
    path: '/v1/organizations/:organizationId/webhooks',
    url: (f) => `${o(f)}/webhooks`,
    valid: () => ({ url: 'https://93.184.215.14/hook', events: ['*'] }),
    fields: webhookFields,
    required: ['url', 'events'],
  },
  {
    method: 'PUT',
    path: '/v1/organizations/:organizationId/webhooks/:webhookId',
    url: (f) => `${o(f)}/webhooks/${f.webhookId}`,
    valid: () => ({ description: 'changed' }),
    fields: { ...webhookFields, enabled: { type: 'boolean' } },
    required: [],
  },
]

/** Uploads take multipart bodies, not JSON (docs/api.md §7): their parts are tested with the builds. */
const UPLOADS = [
  'POST /v1/organizations/:organizationId/apps/:applicationId/builds',
  'POST /v1/integrations/builds',
]

/** Writes that take no body. */
const BODYLESS: { method: 'POST' | 'DELETE'; path: string; url(f: Fixture): string }[] = [
  { method: 'DELETE', path: '/v1/users/me/tokens/:tokenId', url: (f) => `/v1/users/me/tokens/${f.tokenId}` },
  { method: 'DELETE', path: '/v1/organizations/:organizationId', url: o },
  {
    method: 'DELETE',
    path: '/v1/organizations/:organizationId/collaborators/:collaboratorId',
    url: (f) => `${o(f)}/collaborators/${f.viewerId}`,
  },
  {
    method: 'DELETE',
    path: '/v1/organizations/:organizationId/apps/:applicationId',
    url: (f) => `${o(f)}/apps/${f.appId}`,
  },
  {
    method: 'DELETE',
    path: '/v1/organizations/:organizationId/devices/:deviceId',
    url: (f) => `${o(f)}/devices/${f.deviceId}`,
  },
  {
    method: 'POST',
    path: '/v1/organizations/:organizationId/subscriptions/:subscriptionId/cancel',
    url: (f) => `${o(f)}/subscriptions/${f.subscriptionId}/cancel`,
  },
  {
    method: 'DELETE',
    path: '/v1/organizations/:organizationId/apps/:applicationId/builds/:buildId',
    url: (f) => `${o(f)}/apps/${f.appId}/builds/${'b'.repeat(24)}`,
  },
  {
    method: 'DELETE',
    path: '/v1/organizations/:organizationId/apps/:applicationId/tokens/:tokenId',
    url: (f) => `${o(f)}/apps/${f.appId}/tokens/${'c'.repeat(24)}`,
  },
  { method: 'POST', path: '/v1/organizations/:organizationId/exports', url: (f) => `${o(f)}/exports` },
  {
    method: 'DELETE',
    path: '/v1/organizations/:organizationId/webhooks/:webhookId',
    url: (f) => `${o(f)}/webhooks/${f.webhookId}`,
  },
  {
    method: 'POST',
    path: '/v1/organizations/:organizationId/webhooks/:webhookId/test',
    url: (f) => `${o(f)}/webhooks/${f.webhookId}/test`,
  },
  {
    method: 'POST',
    path: '/v1/organizations/:organizationId/webhooks/:webhookId/deliveries/:deliveryId/retry',
    url: (f) => `${o(f)}/webhooks/${f.webhookId}/deliveries/${'d'.repeat(24)}/retry`,
  },
  // Validation comes before the lookup: any well-formed id will do.
  {
    method: 'POST',
    path: '/v1/deletions/:deletionId/restore',
    url: () => `/v1/deletions/${'a'.repeat(24)}/restore`,
  },
]

// ---- arbitraries --------------------------------------------------------------------------------------

const anyString = fc.string({ maxLength: 12 })
/** Any JSON value, but none the JSON parser refuses as prototype poisoning (that is a /body error of its own). */
const anyJson = fc
  .jsonValue({ maxDepth: 2 })
  .filter((value) => !/"(__proto__|constructor)"/.test(JSON.stringify(value)))
/** A key the JSON parser keeps: it refuses `__proto__` and `constructor` anywhere in a body (a /body error of its own). */
const fieldName = anyString.filter((key) => key !== '__proto__' && key !== 'constructor')
const notString = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.array(anyString, { maxLength: 3 }),
  fc.dictionary(fieldName, anyString, { maxKeys: 2 }),
)
const blank = fc
  .array(fc.constantFrom(' ', '\t', '\n', '\r', '\u00a0', '\u2003', '\u3000', '\ufeff'), { maxLength: 6 })
  .map((chars) => chars.join(''))

function wrongValue(kind: Kind): fc.Arbitrary<unknown> {
  switch (kind.type) {
    case 'string':
      return fc.oneof(notString, fc.constant(null))
    case 'name':
      return fc.oneof(notString, fc.constant(null), blank)
    case 'nullableString':
      return notString
    case 'integer':
      return fc.oneof(
        fc.integer({ min: 1, max: 3650 }).map(String),
        fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Number.isInteger(x)),
        fc.boolean(),
        fc.constant(null),
        fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 2 }),
        fc.dictionary(fieldName, anyString, { maxKeys: 2 }),
      )
    case 'boolean':
      return fc.oneof(
        fc.constantFrom('true', 'false', 0, 1),
        fc.constant(null),
        fc.array(fc.boolean(), { maxLength: 2 }),
      )
    case 'list':
      return fc.oneof(
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        anyString,
        fc.dictionary(fieldName, anyString, { maxKeys: 2 }),
        fc.constant([]),
      )
    case 'object':
      return fc.oneof(
        fc.integer(),
        fc.boolean(),
        anyString,
        fc.constant(null),
        fc.array(anyString, { maxLength: 2 }),
      )
    case 'enum':
      return fc.oneof(
        notString,
        fc.constant(null),
        anyString.filter((s) => !kind.values.includes(s)),
        fc.constantFrom(...kind.values).map((v) => v.toUpperCase()),
      )
  }
}

function expectedMessage(kind: Kind, value: unknown): string | undefined {
  if (kind.type === 'enum') return `must be one of: ${kind.values.join(', ')}`
  if (kind.type === 'name' && typeof value === 'string') return 'must not be blank'
  return undefined
}

const pointer = (key: string) => `/body/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`

/** A corruption of a valid body: wrong values, missing required fields and unknown fields, at least one. */
function corruption(route: BodyRoute) {
  const fields = Object.keys(route.fields)
  return fc
    .record({
      wrong: fc
        .subarray(fields)
        .chain((keys) =>
          fc.tuple(...keys.map((key) => wrongValue(route.fields[key] ?? text).map((v) => [key, v] as const))),
        ),
      missing: fc.subarray(route.required),
      unknown: fc.dictionary(
        fieldName.filter((key) => !fields.includes(key)),
        anyJson,
        { maxKeys: 2 },
      ),
    })
    .filter(({ wrong, missing, unknown }) => wrong.length + missing.length + Object.keys(unknown).length > 0)
}

// ---- fixture and database snapshot --------------------------------------------------------------------

let t: TestApp
let owner: TestUser
let f: Fixture
let inputsRun = 0

/** Every row of every table, in a stable order. */
async function snapshot(): Promise<Record<string, string[]>> {
  const result: Record<string, string[]> = {}
  for (const table of await t.db.introspection.getTables()) {
    const rows = await t.db
      .selectFrom(table.name as 'users')
      .selectAll()
      .execute()
    result[table.name] = rows.map((row) => JSON.stringify(row)).sort()
  }
  return result
}

async function send(method: string, url: string, payload: string) {
  const reply = await t.app.inject({
    method: method as 'POST',
    url,
    payload,
    headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/json' },
  })
  inputsRun++
  return { status: reply.statusCode, body: JSON.parse(reply.body) }
}

function errorsOf(reply: { status: number; body: any }, label: string): Map<string, string> {
  expect(reply.status, `${label} → ${JSON.stringify(reply.body)}`).toBe(400)
  expect(reply.body.error.code, label).toBe(3000)
  const errors = reply.body.error.data.errors as { path: string; message: string }[]
  const byPath = new Map(errors.map((e) => [e.path, e.message]))
  expect(byPath.size, `${label}: one error per field`).toBe(errors.length)
  return byPath
}

describe('strict JSON bodies on every route', () => {
  beforeAll(async () => {
    t = await buildTestApp()
    owner = await createUser(t, 'owner')
    const org = await createOrg(t, owner)
    const admin = await addMember(t, owner, org, 'admin')
    const viewer = await addMember(t, owner, org, 'viewer')
    const api = as(t, owner)
    const appId = (await api.post(`/v1/organizations/${org.id}/apps`, { name: 'Kept' })).body.data.id
    const deviceId = (
      await api.post(`/v1/organizations/${org.id}/devices`, { platform: 'android', serialNumber: 'SN-0' })
    ).body.data.id
    const subscriptionId = (await api.post(`/v1/organizations/${org.id}/subscriptions`, { plan: 'free' }))
      .body.data.id
    const tokenId = (await api.post('/v1/users/me/tokens', { name: 'spare' })).body.data.id
    const webhookId = (
      await api.post(`/v1/organizations/${org.id}/webhooks`, {
        url: 'https://93.184.215.14/hook',
        events: ['*'],
      })
    ).body.data.id
    f = { org, admin, viewerId: viewer.collaboratorId, appId, deviceId, subscriptionId, tokenId, webhookId }
  })
  afterAll(async () => {
    console.info(`strict bodies: ${inputsRun} generated requests`)
    await t.close()
  })

  it('knows every route that writes, and every field of every body', () => {
    const spec = t.app.swagger() as {
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: any }> } }>>
    }
    const withBody: Record<string, string[]> = {}
    const withoutBody: string[] = []
    for (const [path, methods] of Object.entries(spec.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        const route = `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`
        if (!route.includes(' /v1/') || method === 'get') continue
        if (UPLOADS.includes(route)) continue
        const schema = operation.requestBody?.content['application/json']?.schema
        if (schema) withBody[route] = Object.keys(schema.properties ?? {}).sort()
        else withoutBody.push(route)
      }
    }
    expect(
      Object.fromEntries(BODY_ROUTES.map((r) => [`${r.method} ${r.path}`, Object.keys(r.fields).sort()])),
    ).toEqual(withBody)
    expect(BODYLESS.map((r) => `${r.method} ${r.path}`).sort()).toEqual(withoutBody.sort())
  })

  it(
    'a wrong type, a blank name, a missing or an unknown field is 3000 naming exactly those fields',
    { timeout: 120_000 },
    async () => {
      for (const route of BODY_ROUTES) {
        const before = await snapshot()
        const label = `${route.method} ${route.path}`
        // The valid body is accepted by the route's schema: a corrupted copy fails for the corruption alone.
        await fc.assert(
          fc.asyncProperty(corruption(route), async ({ wrong, missing, unknown }) => {
            const body: Record<string, unknown> = { ...route.valid(f), ...Object.fromEntries(wrong) }
            for (const key of missing) delete body[key]
            Object.assign(body, unknown)
            const payload = JSON.stringify(body)
            const errors = errorsOf(await send(route.method, route.url(f), payload), `${label} ${payload}`)
            const expected = new Map<string, string | undefined>()
            for (const [key, value] of wrong) {
              if (!missing.includes(key))
                expected.set(pointer(key), expectedMessage(route.fields[key] ?? text, value))
            }
            for (const key of missing) expected.set(pointer(key), 'is required')
            for (const key of Object.keys(unknown)) expected.set(pointer(key), 'is not a known field')
            expect([...errors.keys()].sort(), `${label} ${payload}`).toEqual([...expected.keys()].sort())
            for (const [path, message] of expected) {
              if (message !== undefined) expect(errors.get(path), `${label} ${payload}`).toBe(message)
            }
          }),
          { numRuns: RUNS_PER_ROUTE },
        )
        expect(await snapshot(), label).toEqual(before)
      }
    },
  )

  it(
    'a route that takes no body refuses every field sent to it, and does nothing',
    { timeout: 60_000 },
    async () => {
      for (const route of BODYLESS) {
        const before = await snapshot()
        const label = `${route.method} ${route.path}`
        await fc.assert(
          fc.asyncProperty(fc.dictionary(fieldName, anyJson, { minKeys: 1, maxKeys: 3 }), async (fields) => {
            const payload = JSON.stringify(fields)
            const errors = errorsOf(await send(route.method, route.url(f), payload), `${label} ${payload}`)
            expect([...errors.keys()].sort()).toEqual(Object.keys(fields).map(pointer).sort())
          }),
          { numRuns: Math.ceil(RUNS_PER_ROUTE / 4) },
        )
        expect(await snapshot(), label).toEqual(before)
      }
    },
  )
})
