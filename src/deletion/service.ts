import type { Db } from '../db/connect.js'
import { nowIso } from '../db/ids.js'
import { AppError } from '../http/errors.js'
import { offsetOf, pageOf, type PageRequest } from '../http/pagination.js'
import { Permission } from '../http/permissions.js'
import { accessOrganization } from '../organizations/access.js'
import type { AuthContext } from '../tokens/service.js'
import { activeSubscriptions } from './blockers.js'
import { tally } from './purge.js'
import {
  countDeletionsOfRequester,
  findDeletionOfRequester,
  listDeletionsOfRequester,
  taskProgress,
  type DeletionRow,
} from './repository.js'
import { countOwnedRows } from './tables.js'
import { waitingFor } from './holds.js'

/** What DELETE would do right now: what blocks it, and how many rows of each resource it would remove. */
export async function deletionPreview(db: Db, auth: AuthContext, ref: string) {
  const { org } = await accessOrganization(db, auth, ref, Permission.OrganizationRemove)
  const [blocking, counts] = await Promise.all([activeSubscriptions(db, org.id), countOwnedRows(db, org.id)])
  return { blockers: blocking.map((s) => ({ type: 'subscription', id: s.id, status: s.status })), counts }
}

/** Receipts in the API shape; a purge in progress reports the rows deleted so far. */
async function receiptViews(db: Db, rows: DeletionRow[]) {
  const unfinished = rows.filter((r) => r.status !== 'completed').map((r) => r.id)
  const [progress, waiting] = await Promise.all([
    taskProgress(db, unfinished),
    waitingFor(db, unfinished, nowIso()),
  ])
  return rows.map((row) => ({
    id: row.id,
    organization: { id: row.organization_id, slug: row.organization_slug, name: row.organization_name },
    requestedBy: { id: row.requested_by, email: row.requester_email },
    requestedAt: row.requested_at,
    status: row.status,
    counts:
      row.status === 'completed'
        ? (JSON.parse(row.counts) as Record<string, number>)
        : tally(progress.filter((p) => p.deletion_id === row.id)),
    completedAt: row.completed_at,
    error: row.status === 'completed' ? null : row.error,
    waitingFor: waiting.get(row.id) ?? null,
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
