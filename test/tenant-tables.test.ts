import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tenantTables } from '../src/deletion/tables.js'
import { buildTestApp, type TestApp } from './support/app.js'
import { TENANT_TABLES } from './support/tenant-tables.js'

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp()
})
afterAll(async () => t.close())

describe('tenant tables', () => {
  it('are found by their organization_id column: exactly the tables that hold organization data', async () => {
    expect([...(await tenantTables(t.db))].sort()).toEqual([...TENANT_TABLES].sort())
  })
})
