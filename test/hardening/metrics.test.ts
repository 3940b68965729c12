import { Counter } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, dialect, type TestApp } from '../support/app.js'
import { as, createOrg, createUser } from '../support/factories.js'

let t: TestApp
let other: TestApp
beforeAll(async () => {
  ;[t, other] = await Promise.all([buildTestApp(), buildTestApp()])
})
afterAll(async () => Promise.all([t.close(), other.close()]))

/** Prometheus text → `name{labels}` → value, for the samples of interest. */
function samples(text: string): Map<string, number> {
  const result = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const space = line.lastIndexOf(' ')
    result.set(line.slice(0, space), Number(line.slice(space + 1)))
  }
  return result
}

async function scrape(app: TestApp) {
  const reply = await app.app.inject({ url: '/metrics' })
  expect(reply.statusCode).toBe(200)
  expect(reply.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/)
  return { text: reply.body, samples: samples(reply.body) }
}

const requestsOf = (route: string, status: number, method = 'GET') =>
  `orgspace_http_requests_total{method="${method}",route="${route}",status_code="${status}"}`

describe('GET /metrics', () => {
  it('counts requests by route pattern and status, never by raw URL', async () => {
    const alice = await createUser(t, 'alice')
    const org = await createOrg(t, alice)
    const before = (await scrape(t)).samples
    for (let i = 0; i < 3; i++) await as(t, alice).get(`/v1/organizations/${org.id}`)
    await as(t, alice).get(`/v1/organizations/${org.slug}`)
    await as(t, alice).get('/v1/organizations/no-such-org')
    await as(t, null).get(`/v1/organizations/${org.id}`)
    await as(t, alice).get(`/v1/nothing/here/${org.id}`)

    const { text, samples: after } = await scrape(t)
    const delta = (key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0)
    const route = '/v1/organizations/:organizationId'
    expect(delta(requestsOf(route, 200))).toBe(4)
    expect(delta(requestsOf(route, 404))).toBe(1)
    expect(delta(requestsOf(route, 401))).toBe(1)
    expect(delta(requestsOf('unmatched', 404))).toBe(1)
    expect(
      delta(`orgspace_http_request_duration_seconds_count{method="GET",route="${route}",status_code="200"}`),
    ).toBe(4)
    expect(
      after.get(
        `orgspace_http_request_duration_seconds_bucket{le="+Inf",method="GET",route="${route}",status_code="200"}`,
      ),
    ).toBe(
      after.get(
        `orgspace_http_request_duration_seconds_count{method="GET",route="${route}",status_code="200"}`,
      ),
    )
    // Ids and slugs stay out of the label values: one series per route, whatever the organization.
    expect(text).not.toContain(org.id)
    expect(text).not.toContain(org.slug)
    expect(text).not.toContain('no-such-org')
  })

  it('includes the process metrics', async () => {
    const { samples: found } = await scrape(t)
    expect(found.get('process_cpu_user_seconds_total')).toBeGreaterThan(0)
    expect(found.get('nodejs_heap_size_used_bytes')).toBeGreaterThan(0)
    expect([...found.keys()].some((key) => key.startsWith('nodejs_eventloop_lag_seconds'))).toBe(true)
  })

  it('keeps each app its own registry', async () => {
    const alice = await createUser(other, 'alice')
    const before = (await scrape(t)).samples.get(requestsOf('/v1/users/me', 200)) ?? 0
    for (let i = 0; i < 5; i++) await as(other, alice).get('/v1/users/me')
    expect((await scrape(t)).samples.get(requestsOf('/v1/users/me', 200)) ?? 0).toBe(before)
    expect((await scrape(other)).samples.get(requestsOf('/v1/users/me', 200))).toBeGreaterThanOrEqual(5)
  })

  it('takes new metrics with one registration', async () => {
    const counter = new Counter({
      name: 'orgspace_test_widgets_total',
      help: 'widgets',
      registers: [other.app.metrics.registry],
    })
    counter.inc(7)
    expect((await scrape(other)).samples.get('orgspace_test_widgets_total')).toBe(7)
    expect((await scrape(t)).samples.has('orgspace_test_widgets_total')).toBe(false)
  })

  it('lists every route the app serves', () => {
    const routes = t.app.metrics.routes.map((r) => `${r.method} ${r.url}`)
    expect(routes).toContain('GET /v1/organizations/:organizationId')
    expect(routes).toContain('POST /v1/organizations')
    expect(routes).toContain('GET /metrics')
  })

  it.runIf(dialect === 'postgres')('reports the PostgreSQL pool', async () => {
    const { samples: found } = await scrape(t)
    const total = found.get('orgspace_db_pool_connections{state="total"}')
    const idle = found.get('orgspace_db_pool_connections{state="idle"}')
    expect(total).toBeGreaterThanOrEqual(1)
    expect(idle).toBeLessThanOrEqual(total ?? 0)
    expect(found.get('orgspace_db_pool_connections{state="waiting"}')).toBe(0)
  })

  it.runIf(dialect === 'sqlite')('has no pool metrics on SQLite', async () => {
    const { text } = await scrape(t)
    expect(text).not.toContain('orgspace_db_pool_connections')
  })
})
