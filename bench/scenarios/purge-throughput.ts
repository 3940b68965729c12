import { performance } from 'node:perf_hooks'
import { sql } from 'kysely'
import { openDatabase } from '../../src/db/connect.js'
import { tenantTables } from '../../src/deletion/tables.js'
import { deleteOrganization, waitForReceipt, warmUp, WARM_UP_SLUGS } from '../api.js'
import { OWNER, type DialectContext } from '../context.js'
import { createOwnerToken, seedInProcess } from '../fixtures.js'
import { HttpClient } from '../http.js'
import { sampleRss, startServer } from '../server-process.js'
import { round } from '../stats.js'

// Scenario 2 — how fast the purge removes a large organization, against the floor the database allows: one
// plain DELETE … WHERE organization_id = ? per table, on an identical copy, with nothing else running. The
// purge pays for batching, bookkeeping and yielding to other tenants; the ratio says how much.

export interface PurgeThroughputResult {
  rows: number
  /** From sending DELETE to seeing the receipt `completed` (polled every 25 ms). */
  seconds: number
  /** The same span by the server's clock: the receipt's requestedAt → completedAt (no polling delay). */
  receiptSeconds: number | null
  rowsPerSecond: number
  deleteAnswerMs: number
  counts: Record<string, number>
  floor: {
    rows: number
    seconds: number
    rowsPerSecond: number
    tables: { table: string; rows: number; seconds: number }[]
  }
  /** orgspace's rows/s over the floor's. */
  ratio: number
  rss: { beforeBytes: number | null; peakBytes: number | null; growthBytes: number | null }
  /** PostgreSQL only: the purge of an organization seeded moments before, against the same after ANALYZE. */
  fresh?: FreshPurgeResult
}

/**
 * An organization seeded into an empty database and deleted at once, before any ANALYZE (what a new instance's
 * first import looks like), against an identical copy deleted after a plain ANALYZE. Each on its own server.
 */
export interface FreshPurgeResult {
  rows: number
  /** pg_class.reltuples of `devices` when the fresh copy's DELETE was sent: -1 means never analyzed. */
  reltuplesAtDelete: number
  freshSeconds: number
  analyzedSeconds: number
  /** fresh over analyzed: 1 means statistics make no difference. */
  ratio: number
}

async function measureFloor(url: string, organizationId: string): Promise<PurgeThroughputResult['floor']> {
  const handle = openDatabase(url, { poolSize: 1 })
  try {
    const tables: PurgeThroughputResult['floor']['tables'] = []
    const tableNames = await tenantTables(handle.db)
    const started = performance.now()
    for (const table of tableNames) {
      const t = performance.now()
      const result =
        await sql`delete from ${sql.table(table)} where organization_id = ${organizationId}`.execute(
          handle.db,
        )
      tables.push({
        table,
        rows: Number(result.numAffectedRows ?? 0),
        seconds: (performance.now() - t) / 1000,
      })
    }
    await handle.db.deleteFrom('organizations').where('id', '=', organizationId).execute()
    const seconds = (performance.now() - started) / 1000
    const rows = tables.reduce((sum, t) => sum + t.rows, 0)
    return { rows, seconds: round(seconds, 3), rowsPerSecond: Math.round(rows / seconds), tables }
  } finally {
    await handle.close()
  }
}

/** Seconds from sending DELETE to seeing the receipt completed, on a server of its own over `url`. */
async function timePurge(
  url: string,
  token: string,
  slug: string,
  maxWaitMs: number,
): Promise<{ seconds: number; rows: number }> {
  const server = await startServer('orgspace', { DATABASE_URL: url, PURGE_WORKER: 'on' })
  const client = new HttpClient(server.baseUrl, token)
  try {
    await warmUp(client, { readRef: slug, server: 'orgspace' })
    const started = performance.now()
    const { deletionId } = await deleteOrganization(client, slug)
    const { receipt, seenAt } = await waitForReceipt(client, deletionId, { timeoutMs: maxWaitMs })
    const rows = Object.values(receipt.counts).reduce((sum, n) => sum + n, 0)
    return { seconds: (seenAt - started) / 1000, rows }
  } finally {
    client.close()
    await server.stop()
  }
}

/**
 * The statistics cliff (issue 27): 40 % of the large organization's size, seeded in-process into an empty
 * database (no ANALYZE; autovacuum kept off the template so that it cannot take statistics while it fills), then
 * purged from two copies of it: one as it is, one after `ANALYZE`. Autovacuum is back on in both copies.
 */
async function runFreshPurge(context: DialectContext): Promise<FreshPurgeResult> {
  const { store, plan } = context
  const devices = Math.round(plan.large.devices * 0.4)
  const audit = Math.round(plan.large.audit * 0.4)
  context.log(`the statistics cliff: ${devices} devices + ${audit} audit, purged before and after ANALYZE`)
  const template = 't_fresh'
  const url = await store.create(template)
  const noAutovacuum = async (off: boolean, at: string) => {
    const handle = openDatabase(at, { poolSize: 1 })
    try {
      for (const table of await tenantTables(handle.db))
        await (
          off
            ? sql`alter table ${sql.table(table)} set (autovacuum_enabled = false)`
            : sql`alter table ${sql.table(table)} reset (autovacuum_enabled)`
        ).execute(handle.db)
    } finally {
      await handle.close()
    }
  }
  await noAutovacuum(true, url)
  const token = await createOwnerToken(url, OWNER)
  await seedInProcess(url, OWNER, [
    { slug: 'fresh', devices, audit },
    ...WARM_UP_SLUGS.map((slug) => ({ slug, devices: 0, audit: 0 })),
  ])
  const timed = async (analyze: boolean) => {
    const copy = await store.copy(template)
    try {
      await noAutovacuum(false, copy.url)
      const handle = openDatabase(copy.url, { poolSize: 1 })
      let reltuples: number
      try {
        if (analyze) await sql`analyze`.execute(handle.db)
        const { rows } = await sql<{ n: number }>`
          select reltuples as n from pg_class where relname = 'devices'
            and relnamespace = current_schema()::regnamespace`.execute(handle.db)
        reltuples = Number(rows[0]?.n ?? Number.NaN)
      } finally {
        await handle.close()
      }
      await store.settle()
      return { ...(await timePurge(copy.url, token, 'fresh', plan.load.maxWaitMs)), reltuples }
    } finally {
      await copy.drop()
    }
  }
  const fresh = await timed(false)
  const analyzed = await timed(true)
  return {
    rows: fresh.rows,
    reltuplesAtDelete: fresh.reltuples,
    freshSeconds: round(fresh.seconds, 3),
    analyzedSeconds: round(analyzed.seconds, 3),
    ratio: round(fresh.seconds / analyzed.seconds, 3),
  }
}

export async function runPurgeThroughput(context: DialectContext): Promise<PurgeThroughputResult> {
  const fixture = await context.large()
  context.log('purging the large organization')
  const copy = await context.store.copy(fixture.template)
  const server = await startServer('orgspace', { DATABASE_URL: copy.url, PURGE_WORKER: 'on' }).catch(
    async (error: unknown) => {
      await copy.drop()
      throw error
    },
  )
  const client = new HttpClient(server.baseUrl, fixture.ownerToken)
  let ours: Omit<PurgeThroughputResult, 'floor' | 'ratio'>
  try {
    await warmUp(client, { readRef: fixture.large.slug, server: 'orgspace' })
    await context.store.settle()
    const rss = sampleRss(server.pid)
    const started = performance.now()
    const { deletionId, ms } = await deleteOrganization(client, fixture.large.slug)
    const { receipt, seenAt } = await waitForReceipt(client, deletionId, {
      timeoutMs: context.plan.load.maxWaitMs,
    })
    const peak = rss.stop()
    const seconds = (seenAt - started) / 1000
    const rows = Object.values(receipt.counts).reduce((sum, n) => sum + n, 0)
    ours = {
      rows,
      seconds: round(seconds, 3),
      receiptSeconds:
        receipt.completedAt === null
          ? null
          : round((Date.parse(receipt.completedAt) - Date.parse(receipt.requestedAt)) / 1000, 3),
      rowsPerSecond: Math.round(rows / seconds),
      deleteAnswerMs: round(ms, 3),
      counts: receipt.counts,
      rss: {
        beforeBytes: rss.first,
        peakBytes: peak,
        growthBytes: rss.first !== null && peak !== null ? peak - rss.first : null,
      },
    }
  } finally {
    client.close()
    await server.stop()
    await copy.drop()
  }

  context.log('measuring the floor: one DELETE per table on an identical copy')
  const floorCopy = await context.store.copy(fixture.template)
  let floor: PurgeThroughputResult['floor']
  try {
    await context.store.settle()
    floor = await measureFloor(floorCopy.url, fixture.large.id)
  } finally {
    await floorCopy.drop()
  }
  const result = { ...ours, floor, ratio: round(ours.rowsPerSecond / floor.rowsPerSecond, 3) }
  // SQLite has no statistics to miss in this sense: its tenant tables are the key itself (WITHOUT ROWID).
  return context.dialect === 'postgres' ? { ...result, fresh: await runFreshPurge(context) } : result
}
