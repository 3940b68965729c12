import type { Trx } from '../db/connect.js'
import { managerEmails } from '../collaborators/repository.js'
import { findUserById } from '../users/repository.js'
import { holdTasks, WEBHOOK_HOLD } from './task-holds.js'
import { hasEnabledEndpoint } from '../webhooks/repository.js'
import { emitEvent, organizationRef, type Actor } from '../outbox/emit.js'
import { deleteNotice, dropUndispatchedEventsOf, insertNotice } from '../outbox/repository.js'

// The events of an organization's deletion, called by the deletion module inside its own transactions.

/** How long the purge of an organization's webhooks waits for `organization.deleted` to reach its endpoints. */
export const ENDPOINT_FAREWELL_MS = 10 * 60_000

/** The tables the farewell holds back: the endpoints, and the log the deliveries are recorded in. */
const WEBHOOK_TABLES = ['webhook_endpoints', 'webhook_deliveries'] as const

export interface DeletionRequest {
  organization: { id: string; slug: string | null; name: string }
  deletionId: string
  requestedBy: Actor
  requestedAt: string
  /** Until when it can be restored (a grace period, docs/api.md §8); null when the purge starts at once. */
  restoreDeadline: string | null
}

/**
 * In the DELETE's transaction: emits `organization.deleted`, notes who is to be told by email (the owner and
 * admins now: they are purged before the deletion completes), and, if the organization has an enabled webhook
 * endpoint, holds the purge of its webhooks until the endpoints have been sent everything pending — the
 * delivery worker releases the hold then — or ENDPOINT_FAREWELL_MS after the purge could start, whichever
 * comes first: a dead endpoint delays the purge by minutes, never by the day its retries would take.
 */
export async function deletionRequested(trx: Trx, request: DeletionRequest): Promise<void> {
  const { deletionId, requestedBy, requestedAt, restoreDeadline } = request
  await insertNotice(trx, deletionId, await managerEmails(trx, request.organization.id), requestedAt)
  await emitEvent(trx, {
    type: 'organization.deleted',
    organization: organizationRef(request.organization),
    actor: requestedBy,
    data: { deletionId, requestedBy, requestedAt, restoreDeadline },
  })
  if (await hasEnabledEndpoint(trx, request.organization.id)) {
    const purgeStarts = Date.parse(restoreDeadline ?? requestedAt)
    const until = new Date(purgeStarts + ENDPOINT_FAREWELL_MS).toISOString()
    await holdTasks(trx, deletionId, WEBHOOK_TABLES, WEBHOOK_HOLD, until)
  }
}

export interface FinishedDeletion {
  id: string
  organization_id: string
  organization_slug: string
  organization_name: string
  requested_by: string
  requested_at: string
}

const receiptOrganization = (d: FinishedDeletion) => ({
  id: d.organization_id,
  slug: d.organization_slug,
  name: d.organization_name,
})

/**
 * In the transaction that completes the purge: emits `organization.deletion.completed` (for the instance
 * endpoint and the owners' email), and drops whatever of the organization's events no worker ever dispatched,
 * which would otherwise keep its data. `organization.deleted` stays: it says no more than the receipt.
 */
export async function deletionCompleted(
  trx: Trx,
  deletion: FinishedDeletion,
  counts: Record<string, number>,
  completedAt: string,
  /** The signed certificate (docs/api.md §11), when this process issues them. */
  certificate?: string,
): Promise<void> {
  await dropUndispatchedEventsOf(trx, deletion.organization_id, ['organization.deleted'])
  const requester = await findUserById(trx, deletion.requested_by)
  await emitEvent(trx, {
    type: 'organization.deletion.completed',
    organization: receiptOrganization(deletion),
    actor: null,
    data: {
      deletionId: deletion.id,
      requestedBy: { id: deletion.requested_by, email: requester?.email ?? '' },
      requestedAt: deletion.requested_at,
      completedAt,
      counts,
      ...(certificate ? { certificate } : {}),
    },
  })
}

/** When a purge attempt fails (it is retried): emits `organization.deletion.failed`, for the instance endpoint. */
export async function deletionFailed(
  trx: Trx,
  deletion: FinishedDeletion,
  failure: { reason: string; attempts: number; retryAt: string },
): Promise<void> {
  await emitEvent(trx, {
    type: 'organization.deletion.failed',
    organization: receiptOrganization(deletion),
    actor: null,
    data: { deletionId: deletion.id, ...failure },
  })
}

/**
 * For the restore of docs/api.md §8, in its transaction: emits `organization.restored` (which reaches the
 * organization's own endpoints again, as they come back with it) and forgets the deletion's email notice.
 */
export async function organizationRestored(
  trx: Trx,
  restore: {
    organization: { id: string; slug: string | null; name: string }
    deletionId: string
    restoredBy: Actor
  },
): Promise<void> {
  await deleteNotice(trx, restore.deletionId)
  await emitEvent(trx, {
    type: 'organization.restored',
    organization: organizationRef(restore.organization),
    actor: restore.restoredBy,
    data: { deletionId: restore.deletionId },
  })
}
