import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { openDatabase, type Db } from '../src/db/connect.js'
import { newId } from '../src/db/ids.js'
import { migrateToLatest } from '../src/db/migrate.js'
import { insertRows } from '../src/db/bulk-insert.js'
import { waitForReceipt } from './api.js'
import { buildRow, createOwnerToken, seedInProcess } from './fixtures.js'
import { envelopeData, HttpClient } from './http.js'
import { startLoad, statsOf, type KindStats } from './load.js'
import { startServer } from './server-process.js'
import { sleep } from './stats.js'

// Retention under load (issue 26): neighbours' write latency while the retention step removes an organization's
// expired builds and history, against the same load with nothing to remove, and retention's rows/s against the
// purge's on an organization of the same size. A script of its own (not yet a scenario of `npm run bench`):
//   npm run build:server && node --import tsx bench/retention.ts --builds 10000 --audit 100000 --rate 100
// DATABASE_URL unset: a fresh SQLite file. Figures: BENCHMARKS.md.

const { values } = parseArgs({
  options: {
    builds: { type: 'string', default: '10000' },
    audit: { type: 'string', default: '100000' },
    rate: { type: 'string', default: '100' },
    idle: { type: 'string', default: '10' },
  },
})
const BUILDS = Number(values.builds)
const AUDIT = Number(values.audit)
const RATE = Number(values.rate)
const IDLE_MS = Number(values.idle) * 1000
const OLD = '2020-01-01T00:00:00.000Z'

/** An organization whose rows are all old: `builds` builds over 10 apps and `audit` history events. */
async function oldOrganization(db: Db, url: string, owner: string, slug: string) {
  const [org] = await seedInProcess(url, owner, [{ slug, devices: 0, audit: AUDIT, apps: 10 }])
  if (!org) throw new Error('seed failed')
  const apps = await db.selectFrom('apps').select('id').where('organization_id', '=', org.id).execute()
  const user = await db.selectFrom('users').select('id').where('email', '=', owner).executeTakeFirstOrThrow()
  const rows = Array.from({ length: BUILDS }, (_, n) =>
    buildRow({
      organizationId: org.id,
      appId: apps[n % apps.length]?.id ?? '',
      id: newId(),
      uploadedBy: user.id,
      size: 1000,
      createdAt: OLD,
    }),
  )
  await db.transaction().execute(async (trx) => {
    await insertRows(trx, 'builds', Object.keys(rows[0] ?? {}) as Array<keyof (typeof rows)[number]>, rows)
    await trx
      .updateTable('audit_events')
      .set({ created_at: OLD })
      .where('organization_id', '=', org.id)
      .execute()
  })
  return org
}

async function retentionRecorded(db: Db, organizationId: string): Promise<boolean> {
  const row = await db
    .selectFrom('audit_events')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where('action', '=', 'organization.retention')
    .executeTakeFirst()
  return row !== undefined
}

async function loadFor(ms: number, neighbours: HttpClient, slugs: string[], during?: () => Promise<void>) {
  const running = startLoad(neighbours, slugs, RATE)
  await sleep(2000) // warm-up, not recorded
  const from = performance.now() - running.startedAt
  const started = performance.now()
  if (during) await during()
  else await sleep(ms)
  const seconds = (performance.now() - started) / 1000
  const samples = (await running.stop()).filter((s) => s.at >= from)
  return { seconds, writes: statsOf(samples, 'write'), reads: statsOf(samples, 'read') }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'orgspace-retention-bench-'))
  const url = process.env.DATABASE_URL ?? `sqlite:${join(dir, 'bench.db')}`
  const handle = openDatabase(url)
  await migrateToLatest(handle.db)
  const ownerToken = await createOwnerToken(url, 'owner@bench.test')
  const neighbourToken = await createOwnerToken(url, 'neighbour@bench.test')
  const kept = await oldOrganization(handle.db, url, 'owner@bench.test', 'retained')
  const purged = await oldOrganization(handle.db, url, 'owner@bench.test', 'purged')
  const neighbours = await seedInProcess(
    url,
    'neighbour@bench.test',
    [1, 2, 3, 4].map((n) => ({ slug: `neighbour-${n}`, devices: 100, audit: 100 })),
  )
  const server = await startServer('orgspace', {
    DATABASE_URL: url,
    PURGE_WORKER: 'on',
    PURGE_POLL_MS: '200',
  })
  const owner = new HttpClient(server.baseUrl, ownerToken)
  const client = new HttpClient(server.baseUrl, neighbourToken)
  const slugs = neighbours.map((n) => n.slug)
  try {
    const idle = await loadFor(IDLE_MS, client, slugs)
    let retentionSeconds = 0
    const during = await loadFor(0, client, slugs, async () => {
      const started = performance.now()
      await owner.expectOk('PUT', `/v1/organizations/${kept.slug}`, {
        retention: { auditDays: 30, buildsDays: 30, buildsKeepLatest: 0 },
      })
      // Watched through a connection of this process: polling the API would load the server being measured.
      while (!(await retentionRecorded(handle.db, kept.id))) await sleep(100)
      retentionSeconds = (performance.now() - started) / 1000
    })
    const removed = BUILDS + AUDIT
    const purgeStarted = performance.now()
    const deletion = envelopeData(await owner.expectOk('DELETE', `/v1/organizations/${purged.slug}`))
    await waitForReceipt(owner, String(deletion.deletionId), { everyMs: 50 })
    const purgeSeconds = (performance.now() - purgeStarted) / 1000
    const purgeRows = removed + 10 + 1 // its builds, history, apps and owner
    const row = (name: string, s: KindStats) =>
      `${name}: writes p50 ${s.p50} ms, p99 ${s.p99} ms (n ${s.n}, errors ${s.errors})`
    const retentionRate = Math.round(removed / retentionSeconds)
    const purgeRate = Math.round(purgeRows / purgeSeconds)
    process.stdout.write(
      [
        `database: ${url.startsWith('sqlite:') ? 'sqlite' : 'postgres'}; ${BUILDS} builds + ${AUDIT} history events; neighbours at ${RATE} req/s`,
        row('idle     ', idle.writes),
        row('retention', during.writes),
        `write p99 over idle: ${(during.writes.p99 - idle.writes.p99).toFixed(1)} ms (target ≤ 20 ms)`,
        `retention: ${removed} rows in ${retentionSeconds.toFixed(1)} s = ${retentionRate} rows/s (under load)`,
        `purge:     ${purgeRows} rows in ${purgeSeconds.toFixed(1)} s = ${purgeRate} rows/s (no load)`,
        `retention/purge: ${((100 * retentionRate) / purgeRate).toFixed(0)} % (target ≥ 50 %)`,
        '',
      ].join('\n'),
    )
  } finally {
    owner.close()
    client.close()
    await server.stop()
    await handle.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
