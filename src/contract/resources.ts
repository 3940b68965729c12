// Everything a workspace holds, once: each tenant table with the name its counts carry in the API (deletion
// previews, receipts, certificates), how people call it (the dashboard, emails) and, where an export carries it,
// its file in the archive. The purge discovers tenant tables from the database itself; this registry only names
// them, so a table missing here is still purged and counted, under its table name.

export interface Resource {
  /** The tenant table. */
  table: string
  /** What the dashboard's lists of counts call it. */
  label: string
  /** One and many, for sentences: "1 app", "3 audit events". */
  noun: readonly [string, string]
  /** Its NDJSON file in an export archive, when exports carry it. */
  exportFile?: string
}

export const RESOURCES = {
  collaborators: {
    table: 'collaborators',
    label: 'User assignments (collaborators)',
    noun: ['collaborator', 'collaborators'],
    exportFile: 'collaborators.ndjson',
  },
  apps: { table: 'apps', label: 'Applications', noun: ['app', 'apps'], exportFile: 'apps.ndjson' },
  appTokens: {
    table: 'app_tokens',
    label: 'CI upload tokens',
    noun: ['CI upload token', 'CI upload tokens'],
  },
  builds: { table: 'builds', label: 'Builds', noun: ['build', 'builds'], exportFile: 'builds.ndjson' },
  devices: {
    table: 'devices',
    label: 'Device enrollments',
    noun: ['device', 'devices'],
    exportFile: 'devices.ndjson',
  },
  subscriptions: {
    table: 'subscriptions',
    label: 'Subscriptions',
    noun: ['subscription', 'subscriptions'],
    exportFile: 'subscriptions.ndjson',
  },
  auditEvents: {
    table: 'audit_events',
    label: 'Historical data (audit events)',
    noun: ['audit event', 'audit events'],
    exportFile: 'audit-events.ndjson',
  },
  tokens: {
    table: 'tokens',
    label: 'API tokens scoped to this workspace',
    noun: ['API token', 'API tokens'],
  },
  webhooks: {
    table: 'webhook_endpoints',
    label: 'Webhook endpoints',
    noun: ['webhook endpoint', 'webhook endpoints'],
  },
  webhookDeliveries: {
    table: 'webhook_deliveries',
    label: 'Webhook deliveries',
    noun: ['webhook delivery', 'webhook deliveries'],
  },
  idempotencyKeys: {
    table: 'idempotency_keys',
    label: 'Kept answers to retried writes (Idempotency-Key)',
    noun: ['kept answer', 'kept answers'],
  },
  dataKeys: {
    table: 'organization_data_keys',
    label: "Encryption key of the workspace's files (destroyed first)",
    noun: ['encryption key', 'encryption keys'],
  },
} as const satisfies Record<string, Resource>

const BY_NAME: Readonly<Record<string, Resource>> = RESOURCES

/** The resource an API count names, if the registry knows it. */
export function resourceNamed(name: string): Resource | undefined {
  return Object.hasOwn(BY_NAME, name) ? BY_NAME[name] : undefined
}

/** The API name of a tenant table's counts: the registry's, or the table's own. */
export function resourceNameOf(table: string): string {
  return Object.entries(BY_NAME).find(([, resource]) => resource.table === table)?.[0] ?? table
}
