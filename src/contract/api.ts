// The bodies of the /v1 API's answers (`data` of the envelope, docs/api.md §5), for clients written in TypeScript:
// the dashboard in web/ reads them. Plain types, so the browser's typecheck does not pull in the server: the
// route schemas are the source, and test/contract-types.test.ts fails to compile when one of these differs
// from the `Static` type of its schema.

import type { AuditDetails } from './audit.js'

/** One page of a list: every list of the API answers this shape. */
export interface Page<T> {
  items: T[]
  totalDocs: number
  limit: number
  page: number
  totalPages: number
  hasPrevPage: boolean
  hasNextPage: boolean
  prevPage: number | null
  nextPage: number | null
}

export interface User {
  id: string
  email: string
  name: string
}

/** A user as other records name them (an owner, an uploader, a requester). */
interface UserRef {
  id: string
  email: string
}

interface SubscriptionSummary {
  id: string
  plan: string
  status: string
}

export interface Organization {
  id: string
  name: string
  slug: string
  webSiteUrl: string | null
  owner: UserRef
  /** The caller's role here. */
  role: string
  subscriptions: SubscriptionSummary[]
  counts: { apps: number; devices: number; collaborators: number }
  retention: Retention
  createdAt: string
  updatedAt: string
}

/** What the background retention removes (docs/api.md §15); null keeps forever. */
export interface Retention {
  auditDays: number | null
  buildsDays: number | null
  buildsKeepLatest: number | null
}

export interface SlugCheck {
  valid: boolean
  /** Empty when valid. */
  reason: string
}

export interface Actions {
  /** The permission strings the caller holds in the organization. */
  items: string[]
}

export interface ChangeOwnerResult {
  changed: boolean
}

export interface Collaborator {
  id: string
  role: string
  user: User
  createdAt: string
}

/** A collaborator as the list shows them. */
export interface ListedCollaborator extends Collaborator {
  /** Unexpired app tokens they created here: these stop working if they are removed or made a viewer. */
  appTokens: number
}

export interface App {
  id: string
  name: string
  slug: string
  description: string
  createdAt: string
  updatedAt: string
}

export interface Device {
  id: string
  platform: string
  serialNumber: string
  name: string
  state: string
  enrolledAt: string
}

export interface Subscription {
  id: string
  plan: string
  status: string
  createdAt: string
  canceledAt: string | null
}

interface AuditActor extends UserRef {
  name: string
}

export interface AuditEvent {
  id: string
  /** What happened, e.g. `app.create`, `collaborator.update`. */
  action: string
  /** The kind of thing it happened to, e.g. `app`, `device`. */
  entity: string
  entityId: string
  /** Who did it; null for an event no user caused. */
  actor: AuditActor | null
  /** What a person needs to read the event, as it was at the time; null for events recorded before v1.1. */
  details: AuditDetails | null
  createdAt: string
}

/** What a CI says about the build it uploads (Applivery's `deployer.info`). */
export const DEPLOYER_INFO_FIELDS = [
  'commit',
  'commitMessage',
  'branch',
  'tag',
  'buildNumber',
  'triggerTimestamp',
  'buildUrl',
  'ciUrl',
  'repositoryUrl',
] as const

export type DeployerInfoField = (typeof DEPLOYER_INFO_FIELDS)[number]

export interface Deployer {
  name: string | null
  info: Partial<Record<DeployerInfoField, string>>
}

export interface Build {
  id: string
  applicationId: string
  fileName: string
  contentType: string
  size: number
  sha256: string
  versionName: string | null
  versionCode: string | null
  changelog: string | null
  tags: string[]
  /** The CI that uploaded it, if it said. */
  deployer: Deployer | null
  uploadedBy: UserRef
  createdAt: string
}

export interface Token {
  id: string
  name: string
  /** Set when the token works only inside this organization. */
  organizationId: string | null
  createdAt: string
  expiresAt: string | null
}

export interface NewToken extends Token {
  /** Shown this once. */
  token: string
}

export interface AppToken {
  id: string
  name: string
  createdAt: string
  expiresAt: string | null
  /** The member it acts for: it stops working when they leave or drop below editor. */
  createdBy: { id: string; email: string }
  /** To the minute; null if never used. */
  lastUsedAt: string | null
}

export interface NewAppToken extends AppToken {
  /** Shown this once. */
  token: string
}

export interface Webhook {
  id: string
  url: string
  events: string[]
  description: string
  enabled: boolean
  createdAt: string
}

export interface CreatedWebhook extends Webhook {
  /** Shown once, when the endpoint is created. */
  secret: string
}

export interface WebhookDelivery {
  id: string
  eventId: string
  eventType: string
  attempt: number
  status: 'pending' | 'delivered' | 'failed'
  responseStatus: number | null
  durationMs: number | null
  nextAttemptAt: string | null
  createdAt: string
}

export interface Export {
  id: string
  status: 'running' | 'completed' | 'failed'
  /** Percent done. */
  progress: number
  size: number | null
  sha256: string | null
  createdAt: string
  completedAt: string | null
  expiresAt: string | null
}

/** What every DELETE answers. */
export interface DeleteResult {
  delete: string
}

/** DELETE of an organization: the receipt's id, and with a grace period when the purge starts. */
export interface DeleteOrganizationResult extends DeleteResult {
  deletionId?: string
  purgeAt?: string
}

export interface Blocker {
  /** `subscription` (id, status) or `legal_hold` (reason). */
  type: string
  id?: string
  status?: string
  reason?: string
}

export interface DeletionPreview {
  blockers: Blocker[]
  counts: Record<string, number>
  /** How long after a DELETE the workspace can be restored; 0: it is purged at once. */
  graceSeconds: number
}

type DeletionStatus = 'scheduled' | 'purging' | 'completed' | 'failed' | 'restored'

export interface Deletion {
  id: string
  organization: { id: string; slug: string; name: string }
  requestedBy: UserRef
  requestedAt: string
  status: DeletionStatus
  /** While scheduled: when the purge starts. Until then the workspace can be restored. */
  purgeAt: string | null
  counts: Record<string, number>
  /** What the workspace held when it was deleted: with `counts`, the purge's progress. */
  expected: Record<string, number> | null
  completedAt: string | null
  restoredAt: string | null
  /** Why a deletion that is not done does not progress (a legal hold, an operator's pause). */
  waitingFor: string | null
  /** Why the last purge attempt failed (it is retried); null otherwise. */
  error: string | null
  /** Deleted again after a backup restore brought the workspace back (the ledger's tombstone said so). */
  replayed: boolean
  /** When replayed: the deletion the ledger's tombstone named. */
  replayOf: string | null
}

/** A completed deletion's signed certificate (a JWT) and its claims. */
export interface DeletionCertificate {
  certificate: string
  claims: Record<string, unknown> & { jti: string; sub: string; completedAt: string }
}
