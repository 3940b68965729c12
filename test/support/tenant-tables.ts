// The tables that hold an organization's data, written out by hand. Purge tests check "nothing of it is left"
// against this list rather than against the purge's own discovery (src/deletion/tables.ts), and
// test/tenant-tables.test.ts checks that discovery finds exactly these. A new tenant table is added here.
export const TENANT_TABLES = ['apps', 'audit_events', 'collaborators', 'devices', 'subscriptions', 'tokens']
