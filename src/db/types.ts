import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely'
import type { Role } from '../contract/permissions.js'

// Table types as the database holds them. Timestamps are ISO-8601 text (see ids.ts).

export interface UsersTable {
  id: string
  email: string
  name: string
  created_at: string
}

export interface TokensTable {
  id: string
  user_id: string
  /** A token scoped to one organization; it is purged with that organization. */
  organization_id: string | null
  name: string
  secret_hash: string
  created_at: string
  expires_at: string | null
}

/** An Idempotency-Key's claim or kept answer (src/idempotency/). */
export interface IdempotencyKeysTable {
  id: string
  caller: string
  idempotency_key: string
  organization_id: string | null
  target_sha256: string
  body_sha256: string | null
  status: number | null
  body: string | null
  created_at: string
  expires_at: string
}

/** `importing`: written by `orgspace import`, invisible until its last record is in (exports/import-lease.ts). */
export type OrganizationStatus = 'active' | 'deleting' | 'importing'

export interface OrganizationsTable {
  id: string
  name: string
  /** Null once the organization is being deleted: the slug is free again at once. */
  slug: string | null
  web_site_url: string | null
  status: OrganizationStatus
  apps_count: Generated<number>
  devices_count: Generated<number>
  collaborators_count: Generated<number>
  /** Bytes of the organization's builds in storage. */
  builds_bytes: Generated<number>
  created_at: string
  updated_at: string
  deleted_at: string | null
  /** Set by an operator (CLI only): while set, the organization cannot be deleted nor its deletion purged. */
  legal_hold_reason: string | null
  legal_hold_at: string | null
  /** While `importing`: the importing process renews it; once it lapses, the import is abandoned. */
  import_lease_until: Generated<string | null>
  /** While `importing`: the user running the import (the receipt's requester if the import is abandoned). */
  imported_by: Generated<string | null>
  /** Retention policy (docs/api.md §15): days, or how many builds per app are kept; null keeps forever. */
  retention_audit_days: number | null
  retention_builds_days: number | null
  retention_builds_keep_latest: number | null
  /** When the retention step last looked at the organization (see retention/step.ts). */
  retention_checked_at: string | null
}

export type { Role }

export interface CollaboratorsTable {
  id: string
  organization_id: string
  user_id: string
  role: Role
  created_at: string
  updated_at: string
}

export interface AppsTable {
  id: string
  organization_id: string
  name: string
  slug: string
  description: string
  created_at: string
  updated_at: string
}

export type Platform = 'android' | 'apple' | 'windows'

export interface DevicesTable {
  id: string
  organization_id: string
  platform: Platform
  serial_number: string
  name: string
  state: string
  enrolled_at: string
}

export type SubscriptionStatus = 'active' | 'trialing' | 'past_due' | 'canceled'

export interface SubscriptionsTable {
  id: string
  organization_id: string
  plan: string
  status: SubscriptionStatus
  created_at: string
  canceled_at: string | null
}

export interface AuditEventsTable {
  id: string
  organization_id: string
  action: string
  entity: string
  entity_id: string
  actor_id: string | null
  /** JSON of the contract's AuditDetails (src/contract/audit.ts); null for events recorded before 0009. */
  details: string | null
  created_at: string
}

export type DeletionStatus = 'scheduled' | 'purging' | 'completed' | 'failed' | 'restored'

export interface DeletionsTable {
  id: string
  /** Deliberately no foreign key: the receipt outlives the organization row. */
  organization_id: string
  organization_slug: string
  organization_name: string
  requested_by: string
  requested_at: string
  status: DeletionStatus
  /** JSON object: resource name → rows deleted. Filled in when the purge completes. */
  counts: string
  completed_at: string | null
  error: string | null
  attempts: Generated<number>
  /** A failed purge is retried after this instant. */
  retry_at: string | null
  /** When a scheduled deletion's purge may start (DELETION_GRACE_SECONDS after the request). */
  purge_at: string | null
  /** JSON object: resource name → rows the organization held when it was deleted; set before the purge starts. */
  expected: string | null
  restored_at: string | null
  /** Until when the purged organization's slug stays unusable (SLUG_QUARANTINE_SECONDS after completion). */
  slug_held_until: string | null
  /** When the purge started: its tombstone was in the ledger then (docs/api.md §12). */
  purge_started_at: ColumnType<string | null, string | null | undefined, string | null>
  /** The signed certificate (a compact JWS), once the purge completed and its verification passed. */
  certificate: ColumnType<string | null, string | null | undefined, string | null>
  /** When the certificate was written to the ledger. */
  certificate_ledgered_at: ColumnType<string | null, string | null | undefined, string | null>
  /** Set on a deletion replayed after a backup restore: the deletion named by the ledger's tombstone. */
  replay_of: ColumnType<string | null, string | null | undefined, string | null>
  /** When the purge destroyed the organization's data key (crypto-erasure, docs/api.md §13); null before. */
  data_key_destroyed_at: Generated<string | null>
}

/** Switches every process sharing the database obeys, by name (e.g. `deletions.paused`). */
export interface ControlsTable {
  name: string
  value: string
  updated_at: string
}

export type PurgeTaskStatus = 'pending' | 'done'

export interface PurgeTasksTable {
  id: string
  deletion_id: string
  table_name: string
  status: PurgeTaskStatus
  deleted: Generated<number>
  lease_owner: string | null
  lease_expires_at: string | null
}

export interface BuildsTable {
  organization_id: string
  id: string
  app_id: string
  file_name: string
  content_type: string
  size: number
  sha256: string
  version_name: string | null
  version_code: string | null
  changelog: string | null
  /** JSON array of strings. */
  tags: string
  /** JSON `{name, info}` of the CI that uploaded it, or null. */
  deployer: string | null
  uploaded_by: string
  app_token_id: string | null
  created_at: string
}

export interface AppTokensTable {
  organization_id: string
  id: string
  app_id: string
  name: string
  secret_hash: string
  created_by: string
  created_at: string
  expires_at: string | null
  last_used_at: Generated<string | null>
}

/** `object`: one key; `prefix`: every key under it; `upload`: the key an upload in flight may leave behind. */
export type ObjectRemovalKind = 'object' | 'prefix' | 'upload'

export interface ObjectRemovalsTable {
  organization_id: string
  id: string
  kind: ObjectRemovalKind
  object_key: string
  deletion_id: string | null
  available_at: string
  attempts: Generated<number>
  removed: Generated<number>
  lease_owner: string | null
  lease_expires_at: string | null
  error: string | null
  created_at: string
}

export type ExportStatus = 'running' | 'completed' | 'failed'

export interface ExportsTable {
  organization_id: string
  id: string
  status: ExportStatus
  /** Whole percent done. */
  progress: Generated<number>
  size: number | null
  sha256: string | null
  object_key: string
  removal_id: string | null
  requested_by: string
  error: string | null
  created_at: string
  updated_at: string
  completed_at: string | null
  expires_at: string | null
  /** The export job writing the archive, until when (a running export nobody holds is waiting to be written). */
  lease_owner: string | null
  lease_expires_at: string | null
}

/** The outbox: one row per change, deleted once dispatched (see migration 0004). */
export interface EventsTable {
  id: string
  type: string
  /** The organization the event is about; not `organization_id`, so the row survives the purge (0004). */
  source_organization_id: string
  /** The exact JSON body every recipient gets: `{type, timestamp, data}`. */
  body: string
  created_at: string
}

export interface DeletionNoticesTable {
  deletion_id: string
  /** JSON array of the email addresses told about the deletion (owners and admins when it was requested). */
  recipients: string
  created_at: string
}

export interface WebhookEndpointsTable {
  organization_id: string
  id: string
  url: string
  /** JSON array of event types, or `["*"]`. */
  events: string
  description: string
  /** `whsec_…`: kept so deliveries can be signed; never logged, shown once. */
  secret: string
  disabled_at: string | null
  disabled_reason: string | null
  created_at: string
  updated_at: string
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed'

export interface WebhookDeliveriesTable {
  organization_id: string
  id: string
  endpoint_id: string
  /** The `webhook-id` header: the same for every endpoint and every attempt of one event. */
  event_id: string
  event_type: string
  body: string
  status: DeliveryStatus
  /** Attempts made so far, counting one in flight. */
  attempt: Generated<number>
  response_status: number | null
  duration_ms: number | null
  error: string | null
  /** When a pending delivery is next tried (while an attempt is in flight: when it is retried if lost). */
  next_attempt_at: string | null
  lease_owner: string | null
  created_at: string
  updated_at: string
}

export type InstanceChannel = 'webhook' | 'email'

/** Deliveries to the instance's own recipients (WEBHOOK_URL, email); a row exists while it is pending. */
export interface InstanceDeliveriesTable {
  id: string
  channel: InstanceChannel
  event_id: string
  event_type: string
  /** The webhook body, or for email the JSON of the message (see mail/messages.ts). */
  body: string
  attempt: Generated<number>
  response_status: number | null
  error: string | null
  next_attempt_at: string
  lease_owner: string | null
  created_at: string
}

/** An organization's data key, wrapped by the master key (src/encryption/). */
export interface OrganizationDataKeysTable {
  organization_id: string
  id: string
  wrapped_key: string
  master_key_id: string
  created_at: string
}

export interface Database {
  users: UsersTable
  tokens: TokensTable
  organizations: OrganizationsTable
  collaborators: CollaboratorsTable
  apps: AppsTable
  devices: DevicesTable
  subscriptions: SubscriptionsTable
  audit_events: AuditEventsTable
  deletions: DeletionsTable
  purge_tasks: PurgeTasksTable
  controls: ControlsTable
  builds: BuildsTable
  app_tokens: AppTokensTable
  object_removals: ObjectRemovalsTable
  exports: ExportsTable
  organization_data_keys: OrganizationDataKeysTable
  events: EventsTable
  deletion_notices: DeletionNoticesTable
  webhook_endpoints: WebhookEndpointsTable
  webhook_deliveries: WebhookDeliveriesTable
  instance_deliveries: InstanceDeliveriesTable
  idempotency_keys: IdempotencyKeysTable
}

export type User = Selectable<UsersTable>
export type Organization = Selectable<OrganizationsTable>
export type NewOrganization = Insertable<OrganizationsTable>
export type OrganizationUpdate = Updateable<OrganizationsTable>
export type Deletion = Selectable<DeletionsTable>
