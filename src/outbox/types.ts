// The events of docs/api.md §9. Every change writes one in its own transaction (see emit.ts).

const EVENT_TYPES = [
  'organization.created',
  'organization.updated',
  'organization.owner_changed',
  'organization.deleted',
  'organization.restored',
  'organization.deletion.completed',
  'organization.deletion.failed',
  'organization.retention.applied',
  'collaborator.added',
  'collaborator.removed',
  'collaborator.role_changed',
  'app.created',
  'app.updated',
  'app.deleted',
  'build.uploaded',
  'build.deleted',
  'device.enrolled',
  'device.unenrolled',
  'subscription.created',
  'subscription.canceled',
] as const

export type EventType = (typeof EVENT_TYPES)[number]

/** Sent by `POST …/webhooks/:webhookId/test` to that one endpoint; never emitted by a change. */
export const TEST_EVENT = 'webhook.test'

/**
 * What happens after an organization is gone. Its own endpoints are purged with it, so only the instance
 * endpoint (WEBHOOK_URL) can receive these; an organization's endpoint cannot subscribe to them.
 */
export const AFTER_PURGE: ReadonlySet<string> = new Set<EventType>([
  'organization.deletion.completed',
  'organization.deletion.failed',
])

/** The types an organization's endpoint may list in `events` (besides `*`). */
export const SUBSCRIBABLE: readonly EventType[] = EVENT_TYPES.filter((type) => !AFTER_PURGE.has(type))

/** The organization as every event names it. */
export interface OrganizationRef {
  id: string
  slug: string
  name: string
}

/** The body every recipient gets, byte for byte the same on every attempt. */
export interface EventBody {
  type: string
  timestamp: string
  data: Record<string, unknown>
}
