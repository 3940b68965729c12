import fc from 'fast-check'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ORGANIZATION_TABLES } from '../support/tenant-tables.js'
import { ERRORS, type ErrorCode } from '../../src/core/errors.js'
import { buildTestApp, type TestApp } from '../support/app.js'
import { addMember, as, createOrg, createUser, type TestOrg, type TestUser } from '../support/factories.js'

// Property: for every /v1 route the app serves (read from the app itself, so routes added later are covered
// without touching this file), arbitrary path parameters, query strings, bodies and headers sent by an
// attacker never produce a 5xx, always produce the envelope, and never change another organization's data.
//
// The attacker owns an organization of its own and is a viewer in one victim organization; another victim
// organization is a stranger's. Both victims are full of data; their rows (in every table with an
// organization_id) and their members' users and tokens are compared before and after each route's runs.

/**
 * Generated inputs per route: 150 keeps the file inside the suite's time budget as routes are added;
 * `PROPERTY_RUNS=2000 npx vitest run test/hardening/properties.test.ts` searches deeper.
 */
const RUNS_PER_ROUTE = Number(process.env.PROPERTY_RUNS ?? 150)

/** /v1 routes whose answer is not the envelope by contract. */
const NOT_ENVELOPED = new Set(['GET /v1/openapi.json'])

let t: TestApp
let routes: { method: string; url: string }[]
let victimOwner: TestUser
let victims: { stranger: TestOrg; shared: TestOrg }
let known: string[] = []
let inputsRun = 0
const statuses = new Map<number, number>()

async function fill(owner: TestUser, org: TestOrg): Promise<string[]> {
  const client = as(t, owner)
  const ids: string[] = [org.id, org.slug]
  const must = async (promise: ReturnType<typeof client.post>) => {
    const reply: { status: number; body: any } = await promise
    if (reply.status !== 200) throw new Error(`setup failed: ${reply.status} ${JSON.stringify(reply.body)}`)
    return reply.body.data as { id: string; slug?: string }
  }
  for (const role of ['admin', 'editor'] as const)
    ids.push((await addMember(t, owner, org, role)).collaboratorId)
  for (let i = 0; i < 2; i++) {
    const app = await must(client.post(`/v1/organizations/${org.id}/apps`, { name: `Victim app ${i}` }))
    ids.push(app.id, app.slug ?? '')
    const device = await must(
      client.post(`/v1/organizations/${org.id}/devices`, {
        platform: 'android',
        serialNumber: `SN-${org.id}-${i}`,
      }),
    )
    ids.push(device.id)
  }
  ids.push((await must(client.post(`/v1/organizations/${org.id}/subscriptions`, { plan: 'pro' }))).id)
  return ids
}

/** Every row of the victims, and their members' users and tokens, in a stable order. */
async function snapshot(): Promise<Record<string, unknown[]>> {
  const orgIds = [victims.stranger.id, victims.shared.id]
  const result: Record<string, unknown[]> = {}
  for (const table of ORGANIZATION_TABLES) {
    const rows =
      await sql`select * from ${sql.table(table)} where organization_id in (${sql.join(orgIds)}) order by id`.execute(
        t.db,
      )
    result[table] = rows.rows
  }
  result.organizations = (
    await sql`select * from organizations where id in (${sql.join(orgIds)}) order by id`.execute(t.db)
  ).rows
  const members = sql`select user_id from collaborators where organization_id in (${sql.join(orgIds)}) and role <> 'viewer'`
  result.users = (await sql`select * from users where id in (${members}) order by id`.execute(t.db)).rows
  result.memberTokens = (
    await sql`select * from tokens where user_id in (${members}) order by id`.execute(t.db)
  ).rows
  return result
}

// ---- arbitraries --------------------------------------------------------------------------------------

const hex24 = fc.stringMatching(/^[0-9a-f]{24}$/)
const printable = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 60,
})
const anyText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(
    '',
    ' ',
    '..',
    '%',
    '%zz',
    '\u0000',
    '😀',
    'null',
    'undefined',
    '[object Object]',
    "' or 1=1 --",
    '__proto__',
    'constructor',
  ),
  fc.string({ minLength: 100, maxLength: 400 }),
)
const knownId = () => fc.constantFrom(...known)

const paramValue = () =>
  fc.oneof(
    { weight: 4, arbitrary: knownId() },
    { weight: 2, arbitrary: hex24 },
    { weight: 1, arbitrary: hex24.map((s) => s.toUpperCase()) },
    { weight: 2, arbitrary: fc.stringMatching(/^[a-zA-Z0-9-]{3,40}$/) },
    { weight: 2, arbitrary: anyText },
  )

const fieldValue = () =>
  fc.oneof(
    { weight: 3, arbitrary: anyText },
    { weight: 2, arbitrary: knownId() },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        'owner',
        'admin',
        'editor',
        'viewer',
        'android',
        'apple',
        'windows',
        'pro',
        'active',
        'canceled',
        'https://example.test',
      ),
    },
    { weight: 1, arbitrary: fc.constant(victimOwnerEmail()) },
    { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null)) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  )
let victimOwnerEmailValue = ''
const victimOwnerEmail = () => victimOwnerEmailValue

const FIELDS = [
  'name',
  'slug',
  'webSiteUrl',
  'email',
  'role',
  'newOwner',
  'plan',
  'platform',
  'serialNumber',
  'description',
  'expiresInDays',
  'organizationId',
  'status',
  'owner',
  'id',
]
const QUERY_KEYS = ['page', 'limit', 'sort', 'name', 'slug', 'platform', 'state', 'status', 'q', 'action']

const body = () =>
  fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    {
      weight: 5,
      arbitrary: fc
        .dictionary(fc.constantFrom(...FIELDS), fieldValue(), { maxKeys: 5 })
        .map((o) => JSON.stringify(o)),
    },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '{"name":',
        '{"__proto__":{"admin":true}}',
        '{"constructor":{"prototype":{"x":1}}}',
        '[]',
        'null',
        '""',
        '{"name":"a","name":"b"}',
      ),
    },
  )

const query = () =>
  fc
    .array(
      fc.tuple(
        fc.oneof(fc.constantFrom(...QUERY_KEYS), printable),
        fc.oneof(
          anyText,
          fc.integer().map(String),
          fc.constantFrom('name:asc', 'createdAt:desc', ':asc', 'x:sideways', '0', '-1', '101', '1e3'),
        ),
      ),
      { maxLength: 4 },
    )
    .map((pairs) => pairs.map(([k, v]) => `${toPath(k, true)}=${toPath(v, true)}`).join('&'))

const headers = (token: string) =>
  fc.record({
    authorization: fc.oneof(
      { weight: 14, arbitrary: fc.constant(`Bearer ${token}`) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          `bearer   ${token}  `,
          `Bearer ${token}x`,
          `Basic ${token}`,
          token,
          'Bearer',
          '',
        ),
      },
      { weight: 1, arbitrary: hex24.map((id) => `Bearer osk_${id}_${'A'.repeat(43)}`) },
      { weight: 1, arbitrary: printable },
      { weight: 1, arbitrary: fc.constant(undefined) },
    ),
    contentType: fc.oneof(
      { weight: 6, arbitrary: fc.constant('application/json') },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          'application/json; charset=utf-8',
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/xml',
          'application/json; charset=latin1',
        ),
      },
      { weight: 1, arbitrary: printable },
    ),
    requestId: fc.option(printable, { nil: undefined }),
    extra: fc.option(fc.tuple(fc.stringMatching(/^x-[a-z0-9-]{1,20}$/), printable), { nil: undefined }),
  })

/**
 * A parameter as it goes into the URL: percent-encoded, or raw where that is printable ASCII (so `..`, `%` and
 * `/` reach the router as they are). Lone surrogates cannot be encoded and become an invalid UTF-8 byte.
 */
function toPath(value: string, encodeAll: boolean): string {
  return [...value]
    .map((char) => {
      if (!encodeAll && /^[\x21-\x7e]$/.test(char)) return char
      try {
        return encodeURIComponent(char)
      } catch {
        return '%FF'
      }
    })
    .join('')
}

// ---- checks --------------------------------------------------------------------------------------------

const LEAKS = [
  /\bat [^\s]+ \(?[^\s]+:\d+:\d+/,
  /node_modules/,
  /\.ts:\d+/,
  /SQLITE_/,
  /syntax error at or near/,
  /relation "/,
  /\bselect\b.+\bfrom\b/i,
]

function checkEnvelope(status: number, contentType: unknown, text: string, label: string) {
  expect(status, label).toBeLessThan(500)
  expect(String(contentType), label).toMatch(/^application\/json/)
  const parsed = JSON.parse(text) as Record<string, unknown>
  if (status >= 200 && status < 300) {
    expect(Object.keys(parsed).sort(), label).toEqual(['data', 'status'])
    expect(parsed.status, label).toBe(true)
    return
  }
  expect(Object.keys(parsed).sort(), label).toEqual(['error', 'status'])
  expect(parsed.status, label).toBe(false)
  const error = parsed.error as { code: number; message: string; data?: unknown }
  const entry = ERRORS[error.code as ErrorCode]
  expect(entry, `${label}: unknown code ${error.code}`).toBeDefined()
  expect([entry?.status, entry?.message], label).toEqual([status, error.message])
  for (const leak of LEAKS) expect(text, label).not.toMatch(leak)
}

describe('every /v1 route under arbitrary input', () => {
  beforeAll(async () => {
    t = await buildTestApp()
    routes = t.app.metrics.routes
      .filter((r) => r.url.startsWith('/v1/') && r.method !== 'HEAD' && r.method !== 'OPTIONS')
      .filter((r) => !NOT_ENVELOPED.has(`${r.method} ${r.url}`))
    victimOwner = await createUser(t, 'victim')
    victimOwnerEmailValue = victimOwner.email
    victims = { stranger: await createOrg(t, victimOwner), shared: await createOrg(t, victimOwner) }
    known = [...(await fill(victimOwner, victims.stranger)), ...(await fill(victimOwner, victims.shared))]
    const victimToken = await t.db
      .selectFrom('tokens')
      .select('id')
      .where('user_id', '=', victimOwner.id)
      .executeTakeFirstOrThrow()
    known.push(victimToken.id, victimOwner.id)
  })
  afterAll(async () => {
    console.info(
      `property tests: ${inputsRun} generated requests over ${routes.length} routes; statuses`,
      statuses,
    )
    await t.close()
  })

  it('covers the routes the app serves', () => {
    expect(routes.length).toBeGreaterThanOrEqual(30)
    expect(routes.map((r) => `${r.method} ${r.url}`)).toContain('DELETE /v1/organizations/:organizationId')
  })

  it(
    'never answers 5xx or outside the envelope, and never touches the victims',
    { timeout: 300_000 },
    async () => {
      for (const route of routes) {
        // A fresh attacker per route: its own organization (which it may delete), and a viewer seat in a victim.
        const attacker = await createUser(t, 'attacker')
        const own = await createOrg(t, attacker)
        const seat = await as(t, victimOwner).post(`/v1/organizations/${victims.shared.id}/collaborators`, {
          email: attacker.email,
          role: 'viewer',
        })
        expect(seat.status).toBe(200)
        const ids = [own.id, own.slug, seat.body.data.id as string]
        const before = await snapshot()
        const params = [...route.url.matchAll(/:(\w+)/g)].map((m) => m[1] ?? '')
        const label = `${route.method} ${route.url}`

        await fc.assert(
          fc.asyncProperty(
            fc.tuple(
              ...params.map(() =>
                fc.oneof(
                  { weight: 1, arbitrary: fc.constantFrom(...ids) },
                  { weight: 4, arbitrary: paramValue() },
                ),
              ),
            ),
            fc.boolean(),
            query(),
            body(),
            headers(attacker.token),
            async (values, encode, qs, payload, h) => {
              inputsRun++
              let path = route.url
              values.forEach((value, i) => {
                path = path.replace(`:${params[i]}`, toPath(value, encode))
              })
              const url = qs === '' ? path : `${path}?${qs}`
              const requestHeaders: Record<string, string> = { 'content-type': h.contentType }
              if (h.authorization !== undefined) requestHeaders.authorization = h.authorization
              if (h.requestId !== undefined) requestHeaders['x-request-id'] = h.requestId
              if (h.extra) requestHeaders[h.extra[0]] = h.extra[1]
              const reply = await t.app.inject({
                method: route.method as 'GET',
                url,
                headers: requestHeaders,
                ...(payload === undefined ? {} : { payload }),
              })
              statuses.set(reply.statusCode, (statuses.get(reply.statusCode) ?? 0) + 1)
              checkEnvelope(
                reply.statusCode,
                reply.headers['content-type'],
                reply.body,
                `${label} ${url} ${JSON.stringify(requestHeaders)} ${payload ?? ''}`,
              )
              expect(reply.headers['x-request-id']).toBeTruthy()
            },
          ),
          { numRuns: RUNS_PER_ROUTE },
        )
        expect(await snapshot(), label).toEqual(before)
      }
    },
  )
})
