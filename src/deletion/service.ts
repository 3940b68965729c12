import type { Db } from '../db/connect.js'
import { nowIso } from '../db/ids.js'
import { AppError } from '../core/errors.js'
import { offsetOf, pageOf, type PageRequest } from '../core/pagination.js'
import { Permission } from '../core/permissions.js'
import { accessOrganization } from '../organizations/access.js'
import type { AuthContext } from '../core/auth-context.js'
import { blockingSubscriptions } from '../subscriptions/repository.js'
import { tally } from './purge.js'
import type { DeletionStatus, Organization } from '../db/types.js'
import {
  countDeletionsOfRequester,
  deletionsPaused,
  findDeletionOfRequester,
  listDeletionsOfRequester,
  taskProgress,
  type DeletionRow,
} from './repository.js'
import { countOwnedRows } from './tables.js'
import { heldFor } from './task-holds.js'

/**
 * What DELETE would do right now: what blocks it, how many rows of each resource it would remove, how many
 * bytes of builds it would remove from storage, and how long it could be restored afterwards.
 */
export async function deletionPreview(db: Db, auth: AuthContext, ref: string, graceSeconds: number) {
  const { org } = await accessOrganization(db, auth, ref, Permission.OrganizationRemove)
  return previewOf(db, org, graceSeconds)
}

/** `deletionPreview` of an organization already found (an operator's, for `deletions bulk --dry-run`). */
export async function previewOf(
  db: Db,
  org: Pick<Organization, 'id' | 'legal_hold_reason' | 'builds_bytes'>,
  graceSeconds: number,
) {
  const [blocking, counts] = await Promise.all([
    blockingSubscriptions(db, org.id),
    countOwnedRows(db, org.id),
  ])
  const hold = org.legal_hold_reason === null ? [] : [{ type: 'legal_hold', reason: org.legal_hold_reason }]
  return {
    blockers: [...hold, ...blocking.map((s) => ({ type: 'subscription', id: s.id, status: s.status }))],
    counts: { ...counts, bytes: Number(org.builds_bytes) },
    graceSeconds,
  }
}

const DONE: ReadonlySet<DeletionStatus> = new Set(['completed', 'restored'])

/** Why a deletion that is not done does not progress: an operator's pause, or (scheduled) a legal hold. */
function waitingFor(row: DeletionRow, paused: boolean): string | null {
  if (DONE.has(row.status)) return null
  if (paused) return 'deletions are paused by an operator'
  if (row.status === 'scheduled' && row.legal_hold_reason !== null)
    return `legal hold: ${row.legal_hold_reason}`
  return null
}

/** Receipts in the API shape; a purge in progress reports the rows deleted so far. */
export async function receiptViews(db: Db, rows: DeletionRow[]) {
  const open = rows.filter((r) => !DONE.has(r.status))
  const [progress, paused, held] = await Promise.all([
    taskProgress(
      db,
      open.map((r) => r.id),
    ),
    open.length > 0 ? deletionsPaused(db) : false,
    heldFor(
      db,
      open.map((r) => r.id),
      nowIso(),
    ),
  ])
  return rows.map((row) => ({
    id: row.id,
    organization: { id: row.organization_id, slug: row.organization_slug, name: row.organization_name },
    requestedBy: { id: row.requested_by, email: row.requester_email },
    requestedAt: row.requested_at,
    status: row.status,
    purgeAt: row.purge_at,
    counts:
      row.status === 'completed'
        ? (JSON.parse(row.counts) as Record<string, number>)
        : tally(progress.filter((p) => p.deletion_id === row.id)),
    expected: row.expected === null ? null : (JSON.parse(row.expected) as Record<string, number>),
    completedAt: row.completed_at,
    restoredAt: row.restored_at,
    error: row.status === 'completed' ? null : row.error,
    // A scheduled purge waits for `purgeAt` first; a webhook hold matters once it could start.
    waitingFor: waitingFor(row, paused) ?? (row.status === 'scheduled' ? null : held.get(row.id)) ?? null,
    replayed: row.replay_of !== null,
    replayOf: row.replay_of,
  }))
}

export async function getReceipt(db: Db, auth: AuthContext, deletionId: string) {
  const row = await findDeletionOfRequester(db, deletionId.toLowerCase(), auth)
  if (!row) throw AppError.notFound()
  const [view] = await receiptViews(db, [row])
  if (!view) throw AppError.notFound()
  return view
}

export async function listReceipts(db: Db, auth: AuthContext, page: PageRequest) {
  const [rows, total] = await Promise.all([
    listDeletionsOfRequester(db, auth, offsetOf(page), page.limit),
    countDeletionsOfRequester(db, auth),
  ])
  return pageOf(await receiptViews(db, rows), total, page)
}
