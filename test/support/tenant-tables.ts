// The tables that hold an organization's data, written out by hand. Purge tests check "nothing of it is left"
// against these lists rather than against the purge's own discovery (src/deletion/tables.ts), and
// test/tenant-tables.test.ts checks that discovery finds exactly TENANT_TABLES. A new tenant table is added here.

/** The tables whose rows the purge deletes, one task each. */
export const TENANT_TABLES = [
  'app_tokens',
  'apps',
  'audit_events',
  'builds',
  'collaborators',
  'devices',
  'exports',
  'organization_data_keys',
  'subscriptions',
  'tokens',
  'webhook_deliveries',
  'webhook_endpoints',
]

/**
 * Every table with an organization's rows: also the queue of objects to remove from storage, which the purge
 * empties by removing the objects (not by deleting its rows) before it completes.
 */
export const ORGANIZATION_TABLES = [...TENANT_TABLES, 'object_removals']
