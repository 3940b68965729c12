import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, dialect, type TestApp } from './support/app.js'
import { tableNames, tableShape, type TableShape } from './support/catalog.js'
import { ORGANIZATION_TABLES, TENANT_TABLES } from './support/tenant-tables.js'

// The schema as Citus needs it to distribute orgspace by organization (docs/scaling.md), checked against the
// database's own catalog. Citus co-locates the rows of one organization on one shard only when every
// distributed table's primary and unique keys contain the distribution column, and foreign keys between
// distributed tables include it on both sides; a reference table (copied to every node) may not point at a
// distributed one.
//
// How each table is distributed is written here by hand; a new table fails the first test until it is placed.

/** Distributed by `id`, the organization itself; the tenant tables are co-located with it. */
const ORGANIZATIONS = 'organizations'
/**
 * Copied to every node. `tokens` has an `organization_id` (a scoped token is purged with its organization), but
 * it is looked up by id alone on every request and most tokens belong to no organization: a reference table
 * like `users`, not a distributed one.
 */
const REFERENCE_TABLES = [
  'users',
  'tokens',
  'deletions',
  'purge_tasks',
  'controls',
  // The storage outbox is keyed by organization, but workers claim from it across organizations (FOR UPDATE SKIP
  // LOCKED), which Citus runs on a reference table and not across shards.
  'object_removals',
  // The events outbox, the instance endpoint's and email's deliveries, and who is told of a deletion: claimed
  // across organizations like the storage outbox, and kept past an organization's purge until they are sent.
  'events',
  'instance_deliveries',
  'deletion_notices',
  // Idempotency-Key answers: found by (caller, key) on every retried write, most of them an organization's but
  // some of none (a user's tokens, an organization's own deletion), like `tokens`.
  'idempotency_keys',
]
/** Distributed by `organization_id`: the tenant tables, less the reference ones among them. */
const DISTRIBUTED = TENANT_TABLES.filter((t) => !REFERENCE_TABLES.includes(t))
/**
 * Keys Citus refuses, known and accepted until the day of sharding (docs/scaling.md says what replaces them):
 * a slug is unique across organizations, which a key of one shard cannot promise.
 */
const KNOWN_EXCEPTIONS: Record<string, string[][]> = { organizations: [['slug']] }

let t: TestApp
const shapes: Record<string, TableShape> = {}
beforeAll(async () => {
  t = await buildTestApp()
  for (const table of await tableNames(t.db)) shapes[table] = await tableShape(t.db, table)
})
afterAll(async () => t.close())

const distributed = () => [ORGANIZATIONS, ...DISTRIBUTED]
const distributionColumn = (table: string) => (table === ORGANIZATIONS ? 'id' : 'organization_id')

describe('ready to shard by organization', () => {
  it('places every table: distributed with the organizations, or a reference table', () => {
    expect(Object.keys(shapes).sort()).toEqual([...distributed(), ...REFERENCE_TABLES].sort())
    expect(DISTRIBUTED).toEqual(expect.arrayContaining(['apps', 'collaborators', 'devices']))
  })

  it('keys every tenant table by (organization_id, id)', () => {
    for (const table of DISTRIBUTED)
      expect(shapes[table]?.primaryKey, table).toEqual(['organization_id', 'id'])
    expect(shapes[ORGANIZATIONS]?.primaryKey).toEqual(['id'])
  })

  it('stores every table of organization rows in key order, tokens and idempotency keys aside', () => {
    // tokens and idempotency_keys: looked up by something other than their organization (see REFERENCE_TABLES).
    for (const table of ORGANIZATION_TABLES.filter((t) => t !== 'tokens' && t !== 'idempotency_keys')) {
      expect(shapes[table]?.primaryKey, table).toEqual(['organization_id', 'id'])
      if (dialect === 'sqlite') expect(shapes[table]?.withoutRowid, table).toBe(true)
    }
  })

  it('has the distribution column in every unique key of a distributed table', () => {
    for (const table of distributed()) {
      const column = distributionColumn(table)
      const outside = (shapes[table]?.unique ?? [])
        .map((key) => key.columns)
        .filter((columns) => !columns.includes(column))
      expect(outside, table).toEqual(KNOWN_EXCEPTIONS[table] ?? [])
    }
  })

  it('joins distributed tables only through the organization', () => {
    for (const table of distributed()) {
      for (const key of shapes[table]?.foreignKeys ?? []) {
        if (REFERENCE_TABLES.includes(key.table)) continue
        expect(distributed(), `${table} → ${key.table}`).toContain(key.table)
        // The distribution columns of both sides are paired in the key.
        const at = key.columns.indexOf(distributionColumn(table))
        expect(at, `${table} → ${key.table}`).toBeGreaterThanOrEqual(0)
        expect(key.references[at], `${table} → ${key.table}`).toBe(distributionColumn(key.table))
      }
    }
  })

  it('lets no reference table point at a distributed one', () => {
    for (const table of REFERENCE_TABLES) {
      const targets = (shapes[table]?.foreignKeys ?? []).map((k) => k.table)
      expect(
        targets.filter((target) => !REFERENCE_TABLES.includes(target)),
        table,
      ).toEqual([])
    }
  })
})
