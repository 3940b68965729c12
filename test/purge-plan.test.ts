import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AuthContext } from '../src/core/auth-context.js'
import { explainKeyBatch } from '../src/db/key-batches.js'
import { requestDeletion } from '../src/deletion/command.js'
import { seedOrganization, type SeedResult } from '../src/seed/seed.js'
import { buildTestApp, dialect, type TestApp } from './support/app.js'
import { purgeNow, rowsOf } from './support/purge.js'

// A purge straight after a bulk load: the tables have never been analyzed (PostgreSQL: `reltuples = -1`), which is
// what a new instance's first import looks like. The batch must still walk the primary key, not read the
// organization through another index and sort all of it again for every batch (BENCHMARKS.md, statistics cliff).

const DEVICES = 20_000
const AUDIT = 2_000

let t: TestApp
let doomed: SeedResult
let kept: SeedResult

beforeAll(async () => {
  t = await buildTestApp()
  // Autovacuum would analyze the tables a minute after they fill; this test is about the minute before.
  if (dialect === 'postgres')
    for (const table of ['devices', 'audit_events'])
      await sql`alter table ${sql.table(table)} set (autovacuum_enabled = false)`.execute(t.db)
  kept = await seedOrganization(t.db, { owner: 'kept@example.test', devices: 500, audit: 50 })
  doomed = await seedOrganization(t.db, { owner: 'doomed@example.test', devices: DEVICES, audit: AUDIT })
}, 120_000)
afterAll(async () => t.close())

interface PlanNode {
  'Node Type': string
  'Index Name'?: string
  Plans?: PlanNode[]
}

function nodesOf(plan: unknown): PlanNode[] {
  const root = (plan as Array<{ Plan: PlanNode }>)[0]?.Plan
  const all: PlanNode[] = []
  const walk = (node: PlanNode) => {
    all.push(node)
    node.Plans?.forEach(walk)
  }
  if (root) walk(root)
  return all
}

describe.skipIf(dialect !== 'postgres')('a purge batch on tables without statistics (PostgreSQL)', () => {
  it('the tables are in the state that misled the planner: never analyzed, and a plain keyed read sorts', async () => {
    const { rows } = await sql<{ reltuples: number }>`
      select reltuples from pg_class where relname = 'devices' and relnamespace = current_schema()::regnamespace`.execute(
      t.db,
    )
    expect(Number(rows[0]?.reltuples)).toBeLessThan(0)
    const plain = await sql<{ 'QUERY PLAN': unknown }>`explain (format json)
      select id from devices where organization_id = ${doomed.organizationId}
      order by organization_id, id limit 5000`.execute(t.db)
    expect(nodesOf(plain.rows[0]?.['QUERY PLAN']).map((n) => n['Node Type'])).toContain('Sort')
  })

  it.each([
    ['the first batch', null],
    ['a batch after a key', '0'],
  ] as const)('%s walks the primary key and sorts nothing', async (_, after) => {
    for (const table of ['devices', 'audit_events']) {
      const nodes = nodesOf(await explainKeyBatch(t.db, table, doomed.organizationId, 5000, after))
      expect(nodes.map((n) => n['Node Type'])).not.toContain('Sort')
      expect(nodes.filter((n) => n['Index Name'] !== undefined).map((n) => n['Index Name'])).toEqual([
        `${table}_pkey`,
      ])
    }
  })
})

describe('purging an organization seeded moments before', () => {
  it('removes every row of it and none of the other', async () => {
    const owner: AuthContext = {
      userId: doomed.ownerId,
      email: 'doomed@example.test',
      name: '',
      tokenId: '',
      organizationId: null,
    }
    await requestDeletion(t.db, owner, doomed.organizationId, { graceSeconds: 0, quarantineSeconds: 0 })
    await purgeNow(t.db, { batchTargetMs: 50 })
    const left = await rowsOf(t.db, doomed.organizationId)
    expect({ ...left, deletions: 0 }).toEqual(Object.fromEntries(Object.keys(left).map((k) => [k, 0])))
    const receipt = await t.db
      .selectFrom('deletions')
      .select(['status', 'counts'])
      .where('organization_id', '=', doomed.organizationId)
      .executeTakeFirstOrThrow()
    expect(receipt.status).toBe('completed')
    expect(JSON.parse(receipt.counts ?? '{}')).toMatchObject({ devices: DEVICES, auditEvents: AUDIT + 1 })
    const other = await rowsOf(t.db, kept.organizationId)
    expect(other).toMatchObject({ devices: 500, audit_events: 51, organizations: 1 })
  }, 120_000)
})
