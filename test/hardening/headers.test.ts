import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { PATH_PARAMETER_MAX_LENGTH } from '../../src/contract/identifiers.js'
import { as, createUser } from '../support/factories.js'
import { buildLoggedApp, listen, rawRequest, type LoggedApp } from './helpers.js'

// What every response carries and what none may carry, on the real app.

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp()
})
afterAll(async () => t.close())

function expectSecurityHeaders(headers: Record<string, unknown>) {
  expect(headers['x-powered-by']).toBeUndefined()
  expect(headers['x-content-type-options']).toBe('nosniff')
  expect(headers['x-frame-options']).toBe('DENY')
  expect(headers['strict-transport-security']).toMatch(/max-age=\d+/)
  expect(headers['referrer-policy']).toBe('no-referrer')
  expect(headers['x-request-id']).toMatch(/^[A-Za-z0-9._:-]+$/)
}

describe('security headers', () => {
  it('are on API answers, errors, 404s and operator endpoints', async () => {
    const alice = await createUser(t, 'alice')
    const replies = [
      await t.app.inject({ url: '/v1/users/me', headers: { authorization: `Bearer ${alice.token}` } }),
      await t.app.inject({ url: '/v1/users/me' }),
      await t.app.inject({ url: '/v1/no-such-route' }),
      await t.app.inject({ url: '/healthz' }),
      await t.app.inject({ url: '/metrics' }),
    ]
    expect(replies.map((r) => r.statusCode)).toEqual([200, 401, 404, 200, 200])
    for (const reply of replies) {
      expectSecurityHeaders(reply.headers)
      const csp = String(reply.headers['content-security-policy'])
      expect(csp).toContain("default-src 'self'")
      expect(csp).toContain("script-src 'self'")
      expect(csp).toContain("frame-ancestors 'none'")
      expect(csp).toContain("object-src 'none'")
      expect(csp).not.toContain('upgrade-insecure-requests')
    }
  })

  it('leave /docs a policy under which the reference loads its own scripts, and no inline script', async () => {
    const page = await t.app.inject({ url: '/docs' })
    expect(page.statusCode).toBe(200)
    expect(page.headers['content-type']).toMatch(/text\/html/)
    const csp = String(page.headers['content-security-policy'])
    // Scripts only from this origin: no inline script, no eval, no CDN.
    expect(csp).toMatch(/script-src 'self'(;|$)/)
    expect(csp).toMatch(/connect-src 'self'(;|$)/)
    expect(csp).toMatch(/style-src 'self'/)
    // Over plain HTTP, upgrading would send the page to fetch its own assets over HTTPS.
    expect(csp).not.toContain('upgrade-insecure-requests')
    const scripts = [...page.body.matchAll(/<script([^>]*)>([^<]*)<\/script>/g)]
    expect(scripts.length).toBeGreaterThan(1)
    for (const [, attributes = '', content = ''] of scripts) {
      expect(content.trim(), 'inline script').toBe('')
      const src = /src="([^"]+)"/.exec(attributes)?.[1] ?? ''
      expect(src).toMatch(/^\/docs\//)
      const file = await t.app.inject({ url: src })
      expect(file.statusCode, src).toBe(200)
      expect(file.headers['content-type'], src).toMatch(/javascript/)
    }
  })
})

describe('request ids', () => {
  it('honours a sane incoming x-request-id and replaces an unsafe one', async () => {
    const kept = await t.app.inject({ url: '/healthz', headers: { 'x-request-id': 'edge-1234.abc' } })
    expect(kept.headers['x-request-id']).toBe('edge-1234.abc')
    const replaced = await t.app.inject({
      url: '/healthz',
      headers: { 'x-request-id': 'bad id\u00e9<script>' },
    })
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('is on every failure the framework produces before a handler runs', async () => {
    const alice = await createUser(t, 'alice')
    const auth = { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json' }
    const replies = [
      await t.app.inject({ method: 'POST', url: '/v1/organizations', headers: auth, payload: '{"name":' }),
      await t.app.inject({
        method: 'POST',
        url: '/v1/organizations',
        headers: auth,
        payload: JSON.stringify({ name: 'x'.repeat(t.config.BODY_LIMIT) }),
      }),
      await t.app.inject({ method: 'PATCH', url: '/v1/organizations', headers: auth }),
      await t.app.inject({
        method: 'POST',
        url: '/v1/organizations',
        headers: { ...auth, 'content-type': 'text/xml' },
        payload: '<a/>',
      }),
    ]
    expect(replies.map((r) => [r.statusCode, r.json().error.code])).toEqual([
      [400, 3000],
      [413, 3002],
      [404, 1002],
      [415, 3003],
    ])
    for (const reply of replies) expect(reply.headers['x-request-id']).toBeTruthy()
  })
})

describe('routing failures', () => {
  it('answer a too-long or badly encoded path parameter with the 3000 envelope and a request id', async () => {
    const alice = await createUser(t, 'alice')
    // (A GET with a too-long parameter falls through to the dashboard's catch-all, which answers 1002.)
    const replies = [
      await as(t, alice).delete(`/v1/users/me/tokens/${'a'.repeat(PATH_PARAMETER_MAX_LENGTH + 1)}`),
      await as(t, alice).get('/v1/organizations/%zz'),
      await as(t, alice).get('/v1/organizations/%E0%A4%A'),
    ]
    for (const reply of replies) {
      expect(reply.status).toBe(400)
      expect(reply.body.error).toMatchObject({ code: 3000, message: 'Validation Error' })
      expect(reply.body.error.data.errors[0].path).toBe('/params')
      expect(reply.headers['x-request-id']).toBeTruthy()
    }
  })
})

describe('internal errors', () => {
  let broken: TestApp
  beforeAll(async () => {
    broken = await buildTestApp()
  })
  afterAll(async () => broken.close())

  it('never show a stack trace, SQL or a table name; the log has them, with the request id', async () => {
    const alice = await createUser(broken, 'alice')
    // A real fault under the app: a table it writes to is gone.
    await sql`drop table audit_events`.execute(broken.db)
    const reply = await as(broken, alice).post('/v1/organizations', { name: 'Acme' })
    expect(reply.status).toBe(500)
    expect(reply.body).toEqual({ status: false, error: { code: 1000, message: 'Internal error' } })
    const raw = JSON.stringify(reply.body)
    for (const leak of ['audit_events', 'insert', 'select', 'relation', 'no such table', ' at ', '.ts:'])
      expect(raw.toLowerCase()).not.toContain(leak)
  })
})

describe('logs', () => {
  let logged: LoggedApp
  beforeAll(async () => {
    logged = await buildLoggedApp()
  })
  afterAll(async () => logged.close())

  it('carry the reqId of the request on every line written while serving it', async () => {
    const alice = await createUser(logged, 'alice')
    const ids: string[] = []
    for (const [url, headers] of [
      ['/v1/users/me', { authorization: `Bearer ${alice.token}` }],
      ['/v1/users/me', { authorization: 'Bearer nope' }],
      ['/v1/nowhere', {}],
    ] as const) {
      const reply = await logged.app.inject({ url, headers })
      ids.push(String(reply.headers['x-request-id']))
    }
    await sql`drop table audit_events`.execute(logged.db)
    const failed = await as(logged, alice).post('/v1/organizations', { name: 'Acme' })
    expect(failed.status).toBe(500)
    ids.push(String(failed.headers['x-request-id']))

    const requestLines = logged.logs.filter((line) => 'req' in line || 'res' in line || 'err' in line)
    expect(requestLines.length).toBeGreaterThanOrEqual(ids.length * 2)
    for (const line of requestLines) expect(ids, JSON.stringify(line)).toContain(line.reqId)
    for (const id of ids)
      expect(requestLines.filter((line) => line.reqId === id).length).toBeGreaterThanOrEqual(2)
    // The failure is logged with its cause for operators, and the token never is.
    const failure = requestLines.find((line) => line.reqId === ids[3] && line.msg === 'request failed')
    expect(JSON.stringify(failure)).toMatch(/audit_events/)
    expect(JSON.stringify(logged.logs)).not.toContain(alice.token)
  })
})

describe('the node server', () => {
  let server: LoggedApp
  let port: number
  beforeAll(async () => {
    server = await buildLoggedApp({ MAX_HEADER_SIZE: '4096', REQUEST_TIMEOUT_MS: '1000' })
    port = await listen(server.app)
  })
  afterAll(async () => server.close())

  it('answers oversized headers with the envelope and closes the connection', async () => {
    const reply = await rawRequest(
      port,
      `GET /v1/users/me HTTP/1.1\r\nhost: x\r\nx-filler: ${'a'.repeat(8192)}\r\n\r\n`,
    )
    expect(reply.status).toBe(400)
    expect(JSON.parse(reply.body)).toEqual({
      status: false,
      error: {
        code: 3000,
        message: 'Validation Error',
        data: { errors: [{ path: '/request', message: 'request headers are too large' }] },
      },
    })
    expect(reply.headers['x-request-id']).toBeTruthy()
  })

  it('answers malformed HTTP with the envelope', async () => {
    const reply = await rawRequest(port, 'GET /v1/users/me HTTP/1.1\r\nbad header line\r\n\r\n')
    expect(reply.status).toBe(400)
    expect(JSON.parse(reply.body).error.code).toBe(3000)
  })

  it('drops a client that does not finish its headers or its body within REQUEST_TIMEOUT_MS', async () => {
    const alice = await createUser(server, 'alice')
    // Half the headers, then silence; then full headers and half a body, then silence.
    const slowHeaders = 'GET /healthz HTTP/1.1\r\nhost: x\r\nx-slow: a'
    const slowBody =
      'POST /v1/organizations HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n' +
      `authorization: Bearer ${alice.token}\r\ncontent-length: 100\r\n\r\n{"na`
    for (const request of [slowHeaders, slowBody]) {
      const reply = await rawRequest(port, request)
      expect(reply.status).toBe(400)
      expect(JSON.parse(reply.body).error.data.errors[0].message).toMatch(/within the request timeout/)
    }
    const orgs = await server.db.selectFrom('organizations').select('id').execute()
    expect(orgs).toEqual([])
  })

  it('sends no x-powered-by over the wire either', async () => {
    const reply = await rawRequest(port, 'GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n')
    expect(reply.status).toBe(200)
    expect(reply.headers['x-powered-by']).toBeUndefined()
    expect(reply.headers['x-request-id']).toBeTruthy()
  })
})

describe('CORS', () => {
  let withCors: TestApp
  beforeAll(async () => {
    withCors = await buildTestApp({ CORS_ORIGINS: 'https://admin.example.test,http://localhost:5173' })
  })
  afterAll(async () => withCors.close())

  const preflight = (app: TestApp, origin: string) =>
    app.app.inject({
      method: 'OPTIONS',
      url: '/v1/organizations',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    })

  it('is off by default: no browser origin is allowed', async () => {
    const reply = await t.app.inject({ url: '/healthz', headers: { origin: 'https://admin.example.test' } })
    expect(reply.headers['access-control-allow-origin']).toBeUndefined()
    const pre = await preflight(t, 'https://admin.example.test')
    expect(pre.headers['access-control-allow-origin']).toBeUndefined()
  })

  it('allows exactly the configured origins, without credentials', async () => {
    const ok = await preflight(withCors, 'http://localhost:5173')
    expect(ok.statusCode).toBe(204)
    expect(ok.headers['access-control-allow-origin']).toBe('http://localhost:5173')
    expect(String(ok.headers['access-control-allow-headers'])).toMatch(/authorization/)
    expect(ok.headers['access-control-allow-credentials']).toBeUndefined()
    const simple = await withCors.app.inject({
      url: '/healthz',
      headers: { origin: 'https://admin.example.test' },
    })
    expect(simple.headers['access-control-allow-origin']).toBe('https://admin.example.test')
    expect(String(simple.headers['access-control-expose-headers'])).toMatch(/x-request-id/)
    const denied = await preflight(withCors, 'https://evil.example.test')
    expect(denied.headers['access-control-allow-origin']).toBeUndefined()
  })
})
