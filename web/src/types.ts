// The shapes of the public /v1 API the dashboard reads (CONTRACT §5).

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

export interface SubscriptionSummary {
  id: string
  plan: string
  status: string
}

export interface Organization {
  id: string
  name: string
  slug: string
  webSiteUrl: string | null
  owner: { id: string; email: string }
  role: string
  subscriptions: SubscriptionSummary[]
  counts: { apps: number; devices: number; collaborators: number }
  createdAt: string
  updatedAt: string
}

export interface Collaborator {
  id: string
  role: string
  user: User
  createdAt: string
}

export interface App {
  id: string
  name: string
  slug: string
  description: string | null
  createdAt: string
}

export interface Device {
  id: string
  platform: string
  serialNumber: string
  name: string | null
  state: string
  enrolledAt: string
}

export interface AuditEvent {
  id: string
  action: string
  entity: string
  entityId: string
  actor: { id: string; email: string } | null
  createdAt: string
}

export interface Blocker {
  type: string
  id: string
  status: string
}

export interface DeletionPreview {
  blockers: Blocker[]
  counts: Record<string, number>
  /** How long after a DELETE the workspace can be restored; 0: it is purged at once. */
  graceSeconds: number
}

export interface DeleteResult {
  delete: string
  deletionId?: string
  purgeAt?: string
}

export type DeletionStatus = 'scheduled' | 'purging' | 'completed' | 'failed' | 'restored'

export interface Deletion {
  id: string
  organization: { id: string; slug: string; name: string }
  requestedBy: { id: string; email: string }
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
  error?: string | null
}

export interface SlugCheck {
  valid: boolean
  reason: string
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

export type Role = 'owner' | 'admin' | 'editor' | 'viewer'

export type SubscriptionStatus = 'active' | 'trialing' | 'past_due' | 'canceled'

export interface Subscription {
  id: string
  plan: string
  status: SubscriptionStatus
  createdAt: string
  canceledAt: string | null
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
  uploadedBy: { id: string; email: string }
  createdAt: string
}

export interface ApiToken {
  id: string
  name: string
  /** Set when the token works only inside this organization. */
  organizationId: string | null
  createdAt: string
  expiresAt: string | null
}

export interface NewApiToken extends ApiToken {
  /** Shown once, when the token is created. */
  token: string
}

/** A token for an app's CI uploads (the integration routes), valid for that app only. */
export interface AppToken {
  id: string
  name: string
  createdAt: string
  expiresAt: string | null
}

export interface NewAppToken extends AppToken {
  /** Shown once, when the token is created. */
  token: string
}
