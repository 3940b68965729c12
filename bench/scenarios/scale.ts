import autocannon from 'autocannon'
import { openDatabase, type Db, type Trx } from '../../src/db/connect.js'
import { newId } from '../../src/db/ids.js'
import { insertGenerated } from '../../src/db/bulk-insert.js'
import { seededRole } from '../../src/seed/rows.js'
import type { DialectContext } from '../context.js'
import { createOwnerToken } from '../fixtures.js'
import { HttpClient } from '../http.js'
import { shortCount } from '../plan.js'
import { startServer, type ServerProcess } from '../server-process.js'
import { round } from '../stats.js'

// Scenario 11 — GET /v1/organizations (the caller's organizations, a page with owners and subscriptions) in a
// database of `orgs` organizations and orgs × `members` memberships, against the same call in a small database.
// The caller's own view is the same in both: member of `members` organizations, one of them its own. Both servers
// run side by side and take turns (A B B A), as in scenario 4.

export interface ScaleRun {
  database: 'small' | 'large'
  organizations: number
  memberships: number
  requestsPerSecond: number
  p50Ms: number
  p99Ms: number
  requests: number
  errors: number
  bodyBytes: number
}

export interface ScaleResult {
  connections: number
  seconds: number
  runs: ScaleRun[]
  /** Seconds spent seeding the large database (rows inserted in bulk). */
  seedSeconds: number
}

/** The caller: user 0, owner of organization 0 and member of the `members - 1` organizations before it. */
export const SCALE_CALLER = (n: number) => `scale-${n}@bench.test`

const ROWS_PER_TRANSACTION = 50_000

async function inBatches(
  db: Db,
  total: number,
  write: (trx: Trx, from: number, to: number) => Promise<void>,
) {
  for (let from = 0; from < total; from += ROWS_PER_TRANSACTION) {
    const to = Math.min(total, from + ROWS_PER_TRANSACTION)
    await db.transaction().execute((trx) => write(trx, from, to))
  }
}

/**
 * `orgs` organizations, each with `members` collaborators and one subscription; user n owns organization n and is a
 * member of the `members - 1` organizations after it (wrapping around), so every user sees `members` organizations.
 * Rows go in by the seed's bulk insert; they are the rows the API would have written.
 */
export async function seedScale(url: string, orgs: number, members: number): Promise<void> {
  const handle = openDatabase(url, { poolSize: 2 })
  try {
    const db = handle.db
    const base = Date.parse('2026-01-01T00:00:00.000Z')
    const at = (n: number) => new Date(base + n * 1000).toISOString()
    const userIds = Array.from({ length: orgs }, (_, n) => newId(base + n * 1000))
    const orgIds = Array.from({ length: orgs }, (_, n) => newId(base + n * 1000))
    await inBatches(db, orgs, (trx, from, to) =>
      insertGenerated(trx, 'users', ['id', 'email', 'name', 'created_at'], from, to, (n) => ({
        id: userIds[n] ?? '',
        email: SCALE_CALLER(n),
        name: `Scale user ${n}`,
        created_at: at(n),
      })),
    )
    await inBatches(db, orgs, (trx, from, to) =>
      insertGenerated(
        trx,
        'organizations',
        ['id', 'name', 'slug', 'created_at', 'updated_at'],
        from,
        to,
        (n) => ({
          id: orgIds[n] ?? '',
          name: `Scale workspace ${n}`,
          slug: `scale-${n}`,
          status: 'active' as const,
          created_at: at(n),
          updated_at: at(n),
        }),
      ),
    )
    await inBatches(db, orgs * members, (trx, from, to) =>
      insertGenerated(
        trx,
        'collaborators',
        ['id', 'organization_id', 'user_id', 'role', 'created_at', 'updated_at'],
        from,
        to,
        (n) => {
          const org = Math.floor(n / members)
          const k = n % members
          return {
            id: newId(base + org * 1000),
            organization_id: orgIds[org] ?? '',
            user_id: userIds[(org + k) % orgs] ?? '',
            role: k === 0 ? ('owner' as const) : seededRole(k),
            created_at: at(org),
            updated_at: at(org),
          }
        },
      ),
    )
    await inBatches(db, orgs, (trx, from, to) =>
      insertGenerated(
        trx,
        'subscriptions',
        ['id', 'organization_id', 'plan', 'status', 'created_at'],
        from,
        to,
        (n) => ({
          id: newId(base + n * 1000),
          organization_id: orgIds[n] ?? '',
          plan: 'pro',
          status: 'active' as const,
          created_at: at(n),
        }),
      ),
    )
    // Bulk inserts carry text columns only; the maintained counter is set afterwards, in one statement.
    await db.updateTable('organizations').set({ collaborators_count: members }).execute()
  } finally {
    await handle.close()
  }
}

const cannon = (url: string, token: string, connections: number, seconds: number) =>
  autocannon({ url, connections, duration: seconds, headers: { authorization: `Bearer ${token}` } })

function aggregate(
  database: ScaleRun['database'],
  organizations: number,
  memberships: number,
  results: readonly autocannon.Result[],
  bodyBytes: number,
): ScaleRun {
  const sum = (pick: (r: autocannon.Result) => number) => results.reduce((total, r) => total + pick(r), 0)
  const mean = (pick: (r: autocannon.Result) => number) => round(sum(pick) / Math.max(1, results.length), 2)
  return {
    database,
    organizations,
    memberships,
    requestsPerSecond: Math.round(sum((r) => r['2xx']) / sum((r) => r.duration)),
    p50Ms: mean((r) => r.latency.p50),
    p99Ms: mean((r) => r.latency.p99),
    requests: sum((r) => r['2xx'] + r.non2xx),
    errors: sum((r) => r.non2xx + r.errors),
    bodyBytes,
  }
}

export async function runScale(context: DialectContext): Promise<ScaleResult> {
  const { store, plan } = context
  const { orgs, smallOrgs, members } = plan.scale
  const sizes = { small: smallOrgs, large: orgs } as const
  const templates = { small: '', large: '' }
  let seedSeconds = 0
  for (const database of ['small', 'large'] as const) {
    const count = sizes[database]
    context.log(
      `scale: seeding ${shortCount(count)} organizations and ${shortCount(count * members)} memberships`,
    )
    const template = `t_scale_${database}`
    const url = await store.create(template)
    const started = performance.now()
    await seedScale(url, count, members)
    if (database === 'large') seedSeconds = round((performance.now() - started) / 1000, 1)
    await store.seal(template)
    templates[database] = template
  }
  // The caller's token is made in each copy: the same user in both, found by email.
  const token = { small: '', large: '' }
  const copies = { small: await store.copy(templates.small), large: await store.copy(templates.large) }
  const servers: Partial<Record<'small' | 'large', ServerProcess>> = {}
  try {
    for (const database of ['small', 'large'] as const) {
      token[database] = await createOwnerToken(copies[database].url, SCALE_CALLER(0))
      servers[database] = await startServer('orgspace', {
        DATABASE_URL: copies[database].url,
        PURGE_WORKER: 'on',
      })
    }
    const path = '/v1/organizations'
    const targets = { small: '', large: '' }
    const bytes = { small: 0, large: 0 }
    for (const database of ['small', 'large'] as const) {
      const server = servers[database]
      if (!server) throw new Error('scale: server missing')
      const client = new HttpClient(server.baseUrl, token[database])
      const { body, text } = await client.expectOk('GET', path)
      client.close()
      const total = (body as { data?: { totalDocs?: number } }).data?.totalDocs
      if (total !== members)
        throw new Error(`scale: the caller sees ${String(total)} organizations, not ${members}`)
      targets[database] = `${server.baseUrl}${path}`
      bytes[database] = Buffer.byteLength(text)
      await cannon(
        targets[database],
        token[database],
        plan.throughput.connections,
        plan.throughput.warmupSeconds,
      )
    }
    context.log('scale: GET /v1/organizations, small and large database taking turns')
    const results = { small: [] as autocannon.Result[], large: [] as autocannon.Result[] }
    const { connections, seconds, rounds } = plan.throughput
    const runSeconds = seconds / (2 * rounds)
    for (let r = 0; r < rounds; r++)
      for (const database of ['small', 'large', 'large', 'small'] as const)
        results[database].push(await cannon(targets[database], token[database], connections, runSeconds))
    return {
      connections,
      seconds,
      seedSeconds,
      runs: (['small', 'large'] as const).map((database) =>
        aggregate(database, sizes[database], sizes[database] * members, results[database], bytes[database]),
      ),
    }
  } finally {
    for (const server of Object.values(servers)) await server.stop()
    await copies.small.drop()
    await copies.large.drop()
  }
}
