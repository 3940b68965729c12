import { performance } from 'node:perf_hooks'
import { sql } from 'kysely'
import { openDatabase } from '../../src/db/connect.js'
import { tenantTables } from '../../src/deletion/tables.js'
import { deleteOrganization, waitForReceipt, warmUp } from '../api.js'
import type { DialectContext } from '../context.js'
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
  try {
    await context.store.settle()
    const floor = await measureFloor(floorCopy.url, fixture.large.id)
    return { ...ours, floor, ratio: round(ours.rowsPerSecond / floor.rowsPerSecond, 3) }
  } finally {
    await floorCopy.drop()
  }
}
