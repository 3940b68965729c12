import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ERRORS_DOC, errorsDoc } from '../scripts/errors-doc.js'
import { buildTestApp, type TestApp } from './support/app.js'
import { as, createOrg, createUser, type TestUser } from './support/factories.js'

// The OpenAPI document is what client generators and readers rely on: every operation has a name fit for a
// generated client, a described success, and the error codes it answers, each with an example body. The
// expectations are written here from docs/api.md and the reference page, not read from the code.

interface Example {
  summary?: string
  value: { status: boolean; error: { code: number; message: string; data?: Record<string, unknown> } }
}
interface Response {
  description: string
  content?: {
    'application/json'?: { schema?: { $ref?: string }; example?: unknown; examples?: Record<string, Example> }
  }
}
interface Operation {
  operationId?: string
  summary?: string
  description?: string
  tags?: string[]
  parameters?: { name: string; in: string; schema: { pattern?: string } }[]
  responses: Record<string, Response>
}
interface Document {
  info: { title: string; version: string; description: string; license?: { name: string } }
  servers?: { url: string }[]
  tags?: { name: string }[]
  paths: Record<string, Record<string, Operation>>
  components: { schemas: Record<string, unknown> }
}

/**
 * docs/api.md §2: code → HTTP status and message (3003 and 3004 are orgspace's own: a body of an unread type, a
 * download's Range beyond the end).
 */
const CONTRACT: Record<number, [number, string]> = {
  1000: [500, 'Internal error'],
  1002: [404, 'Route not found'],
  3000: [400, 'Validation Error'],
  3001: [404, 'Entity not found'],
  3002: [413, 'Payload Too Large'],
  3003: [415, 'Unsupported Media Type'],
  3004: [416, 'Range Not Satisfiable'],
  3005: [422, 'Idempotency-Key reused with a different request'],
  4002: [401, 'No auth token'],
  4003: [403, 'Forbidden'],
  4004: [401, 'Invalid Token'],
  4005: [401, 'Token Expired'],
  4029: [429, 'Too Many Requests'],
  5001: [409, 'Conflict'],
  5002: [409, 'A request with this Idempotency-Key is still in progress'],
  5111: [400, 'Can not perform this action because there are active subscriptions'],
  5112: [400, 'Can not perform this action because the organization is under legal hold'],
  5030: [503, 'Service Unavailable'],
}

// What every authenticated route can answer: no/bad/expired token, rate limit, failure, database away.
const EVERY = [4002, 4004, 4005, 4029, 1000, 5030]
// A method that carries a body: malformed JSON (3000), too large (3002), a type no parser reads (3003); and, as every
// write takes an Idempotency-Key (§14), the key reused for another request (3005) or still in progress (5002).
const BODY = [3000, 3002, 3003, 3005, 5002]

/** Per operation, the codes beyond EVERY: from the contract's check order and each route's rules. */
const CODES: Record<string, number[]> = {
  'GET /v1/users/me': [],
  'POST /v1/users/me/tokens': [...BODY, 3001, 4003],
  'GET /v1/users/me/tokens': [3000, 4003],
  'DELETE /v1/users/me/tokens/{tokenId}': [...BODY, 3001, 4003],
  'GET /v1/organizations': [3000],
  'POST /v1/organizations': [...BODY, 4003, 5001],
  'GET /v1/organizations/check-slug': [3000],
  'GET /v1/organizations/{organizationId}': [3000, 3001],
  'PUT /v1/organizations/{organizationId}': [...BODY, 3001, 4003, 5001],
  'DELETE /v1/organizations/{organizationId}': [...BODY, 3001, 4003, 5111, 5112],
  'GET /v1/organizations/{organizationId}/actions': [3000, 3001],
  'POST /v1/organizations/{organizationId}/change-owner': [...BODY, 3001, 4003, 5001],
  'GET /v1/organizations/{organizationId}/deletion-preview': [3000, 3001, 4003],
  'GET /v1/deletions': [3000],
  'GET /v1/deletions/{deletionId}': [3000, 3001],
  'POST /v1/deletions/{deletionId}/restore': [...BODY, 3001, 5001],
  'GET /v1/deletions/{deletionId}/certificate': [3000, 3001, 5001],
  'GET /v1/organizations/{organizationId}/collaborators': [3000, 3001],
  'POST /v1/organizations/{organizationId}/collaborators': [...BODY, 3001, 4003, 5001],
  'PUT /v1/organizations/{organizationId}/collaborators/{collaboratorId}': [...BODY, 3001, 4003, 5001],
  'DELETE /v1/organizations/{organizationId}/collaborators/{collaboratorId}': [...BODY, 3001, 4003, 5001],
  'GET /v1/organizations/{organizationId}/apps': [3000, 3001],
  'POST /v1/organizations/{organizationId}/apps': [...BODY, 3001, 4003, 5001],
  'GET /v1/organizations/{organizationId}/apps/{applicationId}': [3000, 3001],
  'PUT /v1/organizations/{organizationId}/apps/{applicationId}': [...BODY, 3001, 4003, 5001],
  'DELETE /v1/organizations/{organizationId}/apps/{applicationId}': [...BODY, 3001, 4003],
  'GET /v1/organizations/{organizationId}/devices': [3000, 3001],
  'POST /v1/organizations/{organizationId}/devices': [...BODY, 3001, 4003, 5001],
  'DELETE /v1/organizations/{organizationId}/devices/{deviceId}': [...BODY, 3001, 4003],
  'GET /v1/organizations/{organizationId}/subscriptions': [3000, 3001, 4003],
  'POST /v1/organizations/{organizationId}/subscriptions': [...BODY, 3001, 4003],
  'POST /v1/organizations/{organizationId}/subscriptions/{subscriptionId}/cancel': [
    ...BODY,
    3001,
    4003,
    5001,
  ],
  'GET /v1/organizations/{organizationId}/audit': [3000, 3001, 4003],
  // docs/api.md §7: builds read by every role, written by owner, admin and editor; app tokens managed by them too.
  'GET /v1/organizations/{organizationId}/apps/{applicationId}/builds': [3000, 3001],
  'POST /v1/organizations/{organizationId}/apps/{applicationId}/builds': [...BODY, 3001, 4003],
  'GET /v1/organizations/{organizationId}/apps/{applicationId}/builds/{buildId}': [3000, 3001],
  'GET /v1/organizations/{organizationId}/apps/{applicationId}/builds/{buildId}/download': [3000, 3001, 3004],
  'DELETE /v1/organizations/{organizationId}/apps/{applicationId}/builds/{buildId}': [...BODY, 3001, 4003],
  'POST /v1/organizations/{organizationId}/apps/{applicationId}/tokens': [...BODY, 3001, 4003],
  'GET /v1/organizations/{organizationId}/apps/{applicationId}/tokens': [3000, 3001, 4003],
  'DELETE /v1/organizations/{organizationId}/apps/{applicationId}/tokens/{tokenId}': [...BODY, 3001, 4003],
  // App tokens: no roles, so no 4003; an app (or organization) gone since the token was made is 3001.
  'POST /v1/integrations/builds': [...BODY, 3001],
  'GET /v1/integrations/builds': [3000, 3001],
  // docs/api.md §10: exports, by owners and admins.
  'POST /v1/organizations/{organizationId}/exports': [...BODY, 3001, 4003],
  'GET /v1/organizations/{organizationId}/exports/{exportId}': [3000, 3001, 4003],
  'GET /v1/organizations/{organizationId}/exports/{exportId}/download': [3000, 3001, 4003, 5001],
  // docs/api.md §9: webhook endpoints are the owner's and admins' (base.organization.webhook.*).
  'GET /v1/organizations/{organizationId}/webhooks': [3000, 3001, 4003],
  'POST /v1/organizations/{organizationId}/webhooks': [...BODY, 3001, 4003, 5001],
  'PUT /v1/organizations/{organizationId}/webhooks/{webhookId}': [...BODY, 3001, 4003],
  'DELETE /v1/organizations/{organizationId}/webhooks/{webhookId}': [...BODY, 3001, 4003],
  'POST /v1/organizations/{organizationId}/webhooks/{webhookId}/test': [...BODY, 3001, 4003, 5001],
  'GET /v1/organizations/{organizationId}/webhooks/{webhookId}/deliveries': [3000, 3001, 4003],
  'POST /v1/organizations/{organizationId}/webhooks/{webhookId}/deliveries/{deliveryId}/retry': [
    ...BODY,
    3001,
    4003,
    5001,
  ],
}

/** The one operation whose success is not a JSON envelope: the bytes of a build, whole or a range of them. */
const DOWNLOAD = 'GET /v1/organizations/{organizationId}/apps/{applicationId}/builds/{buildId}/download'

/** An export's archive, streamed like a build. */
const EXPORT_DOWNLOAD = 'GET /v1/organizations/{organizationId}/exports/{exportId}/download'

let t: TestApp
let doc: Document
let operations: { key: string; op: Operation }[]

beforeAll(async () => {
  t = await buildTestApp()
  doc = (await t.app.inject({ url: '/v1/openapi.json' })).json()
  operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, op })),
  )
})
afterAll(async () => t.close())

function codesOf(op: Operation): number[] {
  return Object.entries(op.responses)
    .filter(([status]) => Number(status) >= 400)
    .flatMap(([, response]) => Object.values(response.content?.['application/json']?.examples ?? {}))
    .map((example) => example.value.error.code)
}

describe('the OpenAPI document', () => {
  it('names orgspace at its package version, with a server, a licence and how to get a token', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
    expect(doc.info.title).toBe('orgspace')
    expect(doc.info.version).toBe(pkg.version)
    expect(doc.info.license?.name).toBe('MIT')
    expect(doc.servers?.length).toBeGreaterThan(0)
    expect(doc.info.description).toContain('## Getting a token')
    expect(doc.info.description).toContain('npx orgspace user create --email')
    expect(doc.info.description).toContain('Authorization: Bearer ')
    for (const [code, [status, message]] of Object.entries(CONTRACT)) {
      expect(doc.info.description).toContain(`| ${code} | ${status} | ${message} |`)
    }
  })

  it('compiles, on demand, a validator or serializer for every documented part of every operation', () => {
    // Schemas compile on a route's first use (src/http/on-first-use.ts); one that cannot would fail only then.
    // Every operation has at least a success and an error response (serializers) and a path or body (validators).
    const parts = operations.reduce((n, { op }) => n + Object.keys(op.responses).length, 0)
    expect(t.app.compileSchemas()).toBeGreaterThanOrEqual(parts)
    expect(t.app.compileSchemas()).toBe(0) // nothing is left pending, nothing compiles twice
  })

  it('has exactly the operations listed here', () => {
    expect(operations.map((o) => o.key).sort()).toEqual(Object.keys(CODES).sort())
  })

  it('gives every operation a unique camelCase operationId, a summary and a defined tag', () => {
    const ids = operations.map(({ op }) => op.operationId)
    for (const { key, op } of operations) {
      expect(op.operationId, key).toMatch(/^[a-z]+(?:[A-Z][a-z0-9]*)+$/)
      expect(op.summary, key).toBeTruthy()
      for (const tag of op.tags ?? [])
        expect(
          doc.tags?.map((t) => t.name),
          key,
        ).toContain(tag)
    }
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('describes the success of every operation and its envelope', () => {
    for (const { key, op } of operations) {
      const successes = Object.keys(op.responses).filter((status) => /^2/.test(status))
      expect(successes, key).toEqual(key === DOWNLOAD ? ['200', '206'] : ['200'])
      const success = op.responses['200']
      expect(success?.description, key).toBeTruthy()
      expect(success?.description, key).not.toBe('Default Response')
      // Bytes, not an envelope: a build's and an export's archive.
      if (key === DOWNLOAD || key === EXPORT_DOWNLOAD) continue
      expect(success?.content?.['application/json']?.schema, key).toMatchObject({
        properties: { status: { enum: [true] } },
      })
    }
  })

  it('lists the error codes of every operation, each under its status with an example envelope', () => {
    for (const { key, op } of operations) {
      expect([...new Set(codesOf(op))].sort(), key).toEqual(
        [...new Set([...EVERY, ...(CODES[key] ?? [])])].sort(),
      )
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400) continue
        const media = response.content?.['application/json']
        expect(media?.schema, `${key} ${status}`).toEqual({ $ref: '#/components/schemas/ErrorEnvelope' })
        expect(response.description, `${key} ${status}`).not.toBe('Default Response')
        for (const { value } of Object.values(media?.examples ?? {})) {
          const [contractStatus, message] = CONTRACT[value.error.code] ?? []
          expect(Number(status), `${key} ${value.error.code}`).toBe(contractStatus)
          expect(value).toMatchObject({ status: false, error: { message } })
          expect(response.description, `${key} ${status}`).toContain(`\`${value.error.code}\``)
        }
      }
    }
    expect(doc.components.schemas.ErrorEnvelope).toBeDefined()
  })

  it('keeps the reference page of DELETE /v1/organizations/{organizationId}: its text, parameter and bodies', () => {
    const op = doc.paths['/v1/organizations/{organizationId}']?.delete
    expect(op?.operationId).toBe('deleteOrganization')
    expect(op?.summary).toBe('Delete organization workspace permanently')
    expect(op?.description).toContain('Required Permission: base.organization.management.remove')
    expect(op?.description).toContain(
      'Permanently deletes organization workspace and all associated resources including applications, device enrollments, user assignments, and historical data requiring subscription cancellation.',
    )
    expect(op?.parameters?.find((p) => p.name === 'organizationId')?.schema.pattern).toBe(
      '^(([a-fA-F0-9]{24})|([a-zA-Z0-9\\-]{3,}))$',
    )
    const bodies = (status: number) =>
      Object.values(op?.responses[String(status)]?.content?.['application/json']?.examples ?? {}).map(
        (e) => e.value,
      )
    expect(op?.responses['200']?.content?.['application/json']?.example).toEqual({
      status: true,
      data: { delete: 'OK' },
    })
    // The page's own example of each status comes first.
    expect(bodies(400)[0]).toEqual({
      status: false,
      error: { code: 5111, message: 'Can not perform this action because there are active subscriptions' },
    })
    expect(bodies(401)[0]).toEqual({ status: false, error: { code: 4002, message: 'No auth token' } })
    expect(bodies(404)[0]).toEqual({ status: false, error: { code: 3001, message: 'Entity not found' } })
  })

  it('gives a conflict example its reason', () => {
    const op = doc.paths['/v1/organizations/{organizationId}/collaborators/{collaboratorId}']?.delete
    const conflicts = Object.values(op?.responses['409']?.content?.['application/json']?.examples ?? {})
    expect(conflicts.map((e) => e.value)).toEqual([
      {
        status: false,
        error: { code: 5001, message: 'Conflict', data: { reason: 'the owner cannot be removed' } },
      },
      {
        status: false,
        error: { code: 5002, message: 'A request with this Idempotency-Key is still in progress' },
      },
    ])
  })
})

describe('what the document promises for bodies', () => {
  let user: TestUser
  let appToken: string
  beforeAll(async () => {
    user = await createUser(t, 'body')
    const org = await createOrg(t, user)
    const app = (await as(t, user).post(`/v1/organizations/${org.id}/apps`, { name: 'Body' })).body.data
    appToken = (await as(t, user).post(`/v1/organizations/${org.id}/apps/${app.id}/tokens`, { name: 'ci' }))
      .body.data.token
  })

  // Any id will do: the body is read, and refused, before the route looks anything up.
  const urlOf = (path: string) => path.replace(/\{\w+\}/g, '0123456789abcdef01234567')

  it('holds on every operation that lists 3002 and 3003: too large and unreadable bodies are refused', async () => {
    const bodyRoutes = operations.filter(({ op }) => codesOf(op).includes(3002))
    expect(bodyRoutes.length).toBeGreaterThan(10)
    for (const { key } of bodyRoutes) {
      const [method = '', path = ''] = key.split(' ')
      const send = (headers: Record<string, string>, payload: string) =>
        t.app.inject({
          method: method as 'POST',
          url: urlOf(path),
          // The integration routes take an app token; every other route a user's.
          headers: {
            authorization: `Bearer ${path.startsWith('/v1/integrations/') ? appToken : user.token}`,
            ...headers,
          },
          payload,
        })
      const large = await send(
        { 'content-type': 'application/json' },
        JSON.stringify({ name: 'x'.repeat(t.config.BODY_LIMIT) }),
      )
      expect([large.statusCode, large.json().error.code], key).toEqual([413, 3002])
      const unread = await send({ 'content-type': 'application/xml' }, '<name>x</name>')
      expect([unread.statusCode, unread.json().error.code], key).toEqual([415, 3003])
      const malformed = await send({ 'content-type': 'application/json' }, '{"name":')
      expect([malformed.statusCode, malformed.json().error.code], key).toEqual([400, 3000])
    }
  })
})

describe('docs/errors.md', () => {
  it('is what `npm run docs:errors` writes from the code table', async () => {
    expect(readFileSync(ERRORS_DOC, 'utf8'), 'run `npm run docs:errors`').toBe(await errorsDoc())
  })

  it('lists every code of the contract with its status and message', () => {
    const text = readFileSync(ERRORS_DOC, 'utf8')
    for (const [code, [status, message]] of Object.entries(CONTRACT)) {
      expect(text).toMatch(new RegExp(`\\| ${code} \\| ${status} +\\| ${message} +\\|`))
    }
  })
})
