import { inject } from 'vitest'
import pg from 'pg'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, dialect, type TestApp } from '../support/app.js'
import { as, createOrg, createUser, type TestUser } from '../support/factories.js'
import { buildLoggedApp, CuttableProxy, type LoggedApp } from './helpers.js'

// PostgreSQL going away under load: connections killed mid-transaction, and the server unreachable.
// Every request either succeeds or fails cleanly with 503/5030, nothing is left half-written, and the app
// serves normally once the database is back.

const unavailable = { status: false, error: { code: 5030, message: 'Service Unavailable' } }

describe.runIf(dialect === 'postgres')('database connections killed during a burst of writes', () => {
  let t: TestApp
  let admin: pg.Client
  beforeAll(async () => {
    t = await buildTestApp()
    admin = new pg.Client({ connectionString: inject('pgServerUrl') })
    await admin.connect()
  })
  afterAll(async () => {
    await admin.end()
    await t.close()
  })

  /** Terminates every connection the app holds to its database; returns how many. */
  async function killAppConnections(): Promise<number> {
    const database = new URL(t.url).pathname.slice(1)
    const { rows } = await admin.query<{ killed: boolean }>(
      `select pg_terminate_backend(pid) as killed from pg_stat_activity
       where datname = $1 and pid <> pg_backend_pid()`,
      [database],
    )
    return rows.filter((row) => row.killed).length
  }

  /** One write of a random kind, as an owner of `orgs`; returns the reply. */
  async function someWrite(owner: TestUser, orgIds: string[], i: number) {
    const org = orgIds[i % orgIds.length] ?? ''
    const client = as(t, owner)
    switch (i % 5) {
      case 0:
        return client.post('/v1/organizations', { name: `Burst ${i}` })
      case 1:
        return client.post(`/v1/organizations/${org}/collaborators`, {
          email: `burst-${i}-${Math.random().toString(16).slice(2)}@example.test`,
          role: 'viewer',
        })
      case 2:
        return client.put(`/v1/organizations/${org}`, { name: `Renamed ${i}` })
      case 3:
        return t.app.hasRoute({ method: 'POST', url: '/v1/organizations/:organizationId/apps' })
          ? client.post(`/v1/organizations/${org}/apps`, { name: `App ${i}` })
          : client.get(`/v1/organizations/${org}`)
      default:
        return client.get(`/v1/organizations/${org}/collaborators`)
    }
  }

  it('answers 200 or 503/5030, never half-writes, and recovers', async () => {
    const owners = await Promise.all([1, 2, 3].map(() => createUser(t, 'owner')))
    const orgIds = (await Promise.all(owners.map((o) => createOrg(t, o)))).map((o) => o.id)
    const statuses = new Map<number, number>()
    let killed = 0
    let requests = 0

    // Rounds of 60 concurrent writes with kills interleaved: at least five, and more until the kills have
    // visibly hit requests.
    for (let round = 0; round < 20 && (round < 5 || (statuses.get(503) ?? 0) < 3); round++) {
      const burst = Array.from({ length: 60 }, (_, i) => {
        const owner = owners[i % owners.length] as TestUser
        return someWrite(owner, orgIds, round * 60 + i)
      })
      const killer = (async () => {
        for (let k = 0; k < 6; k++) {
          await new Promise((resolve) => setImmediate(resolve))
          killed += await killAppConnections()
        }
      })()
      const replies = await Promise.all(burst)
      await killer
      for (const reply of replies) {
        requests++
        statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1)
        if (reply.status === 503) expect(reply.body).toEqual(unavailable)
        else expect(reply.status, JSON.stringify(reply.body)).toBe(200)
      }
    }
    console.info(`database faults: ${requests} requests, ${killed} connections killed, statuses`, statuses)
    expect(killed).toBeGreaterThan(0)
    expect(statuses.get(503) ?? 0).toBeGreaterThan(0)

    // Nothing half-written: every organization has exactly one owner, and its counters agree with its rows.
    const broken = await sql<{ id: string; owners: number; collaborators: number; counted: number }>`
      select o.id,
             (select count(*) from collaborators c where c.organization_id = o.id and c.role = 'owner') as owners,
             (select count(*) from collaborators c where c.organization_id = o.id) as collaborators,
             o.collaborators_count as counted
      from organizations o
      where (select count(*) from collaborators c where c.organization_id = o.id and c.role = 'owner') <> 1
         or (select count(*) from collaborators c where c.organization_id = o.id) <> o.collaborators_count
         or (select count(*) from apps a where a.organization_id = o.id) <> o.apps_count
         or (select count(*) from devices d where d.organization_id = o.id) <> o.devices_count`.execute(t.db)
    expect(broken.rows).toEqual([])
    const unaudited = await sql<{ id: string }>`
      select o.id from organizations o
      where not exists (select 1 from audit_events e
                        where e.organization_id = o.id and e.action = 'organization.create')`.execute(t.db)
    expect(unaudited.rows).toEqual([])

    // And the app serves normally again.
    const owner = owners[0] as TestUser
    expect((await t.app.inject({ url: '/readyz' })).statusCode).toBe(200)
    const created = await as(t, owner).post('/v1/organizations', { name: 'After the storm' })
    expect(created.status).toBe(200)
    const listed = await as(t, owner).get('/v1/organizations?limit=100')
    expect(listed.status).toBe(200)
    expect(listed.body.data.items.map((o: { id: string }) => o.id)).toContain(created.body.data.id)
  })
})

describe.runIf(dialect === 'postgres')('database unreachable', () => {
  let proxy: CuttableProxy
  let t: LoggedApp
  beforeAll(async () => {
    const server = new URL(inject('pgServerUrl'))
    proxy = new CuttableProxy(server.hostname, Number(server.port))
    await proxy.start()
    t = await buildLoggedApp({}, (url) => proxy.route(url))
  })
  afterAll(async () => {
    await proxy.start().catch(() => undefined)
    await t.close()
    await proxy.cut()
  })

  it('makes /readyz and the API answer 503 while it lasts, and both recover when it returns', async () => {
    const alice = await createUser(t, 'alice')
    expect((await t.app.inject({ url: '/readyz' })).statusCode).toBe(200)

    await proxy.cut()
    const ready = await t.app.inject({ url: '/readyz' })
    expect(ready.statusCode).toBe(503)
    expect(ready.json()).toEqual({ status: 'unavailable', database: 'postgres' })
    const me = await as(t, alice).get('/v1/users/me')
    expect(me.status).toBe(503)
    expect(me.body).toEqual(unavailable)
    const write = await as(t, alice).post('/v1/organizations', { name: 'During the outage' })
    expect(write.status).toBe(503)

    await proxy.start()
    // The pool notices its dead connections as it uses them; a few tries at most.
    let readyAgain = 0
    for (let attempt = 0; attempt < 10 && readyAgain !== 200; attempt++)
      readyAgain = (await t.app.inject({ url: '/readyz' })).statusCode
    expect(readyAgain).toBe(200)
    expect((await as(t, alice).get('/v1/users/me')).status).toBe(200)
    expect((await as(t, alice).post('/v1/organizations', { name: 'After the outage' })).status).toBe(200)
    const orgs = await t.db.selectFrom('organizations').select('name').execute()
    expect(orgs.map((o) => o.name)).toEqual(['After the outage'])
  })
})
