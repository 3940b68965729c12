import type { Db } from '../db/connect.js'
import { newId, nowIso } from '../db/ids.js'
import { AppError } from '../core/errors.js'
import { Permission } from '../core/permissions.js'
import { accessOrganization } from '../organizations/access.js'
import { changeOrganization } from '../organizations/write.js'
import { exportKey } from '../storage/keys.js'
import { enqueueRemoval } from '../storage/removals.js'
import type { AuthContext } from '../core/auth-context.js'
import { deleteExpiredExports, findExport, insertExport, type ExportRow } from './repository.js'

/** A running export renews its claim this often, and is taken for dead (its process gone) after STALL_MS. */
export const HEARTBEAT_MS = 1_000
export const STALL_MS = 60_000
/**
 * How long an export job's claim lasts without a renewal. Shorter than STALL_MS, when the archive's upload removal
 * falls due: another process's job takes a dead one's export over and pushes that deadline before it passes.
 */
export const LEASE_MS = 30_000

export function exportView(row: ExportRow, now = Date.now()) {
  const stalled = row.status === 'running' && Date.parse(row.updated_at) + STALL_MS < now
  return {
    id: row.id,
    status: stalled ? ('failed' as const) : row.status,
    progress: row.progress,
    size: row.size === null ? null : Number(row.size),
    sha256: row.sha256,
    createdAt: row.created_at,
    completedAt: row.completed_at,
    expiresAt: row.expires_at,
  }
}

/**
 * POST …/exports: the export's row and the removal that stands for its archive until it completes (as for an
 * upload: if the process dies while writing, the purge worker removes what it left), in one write into the
 * organization. An export job then writes the archive in the background (job.ts).
 */
export async function requestExport(db: Db, auth: AuthContext, ref: string): Promise<ExportRow> {
  return changeOrganization(db, auth, ref, Permission.OrganizationExport, async ({ trx, org, audit }) => {
    const now = nowIso()
    await deleteExpiredExports(trx, org.id, now)
    const id = newId()
    const key = exportKey(org.id, id)
    const availableAt = new Date(Date.now() + STALL_MS).toISOString()
    const removalId = await enqueueRemoval(trx, { organizationId: org.id, kind: 'upload', key, availableAt })
    const row: ExportRow = {
      organization_id: org.id,
      id,
      status: 'running',
      progress: 0,
      size: null,
      sha256: null,
      object_key: key,
      removal_id: removalId,
      requested_by: auth.userId,
      error: null,
      created_at: now,
      updated_at: now,
      completed_at: null,
      expires_at: null,
      lease_owner: null,
      lease_expires_at: null,
    }
    await insertExport(trx, row)
    await audit('organization.export', 'export', id, { name: org.name })
    return row
  })
}

/** The export named by the path, for owners and admins; an expired one is gone (3001). */
export async function findVisibleExport(db: Db, auth: AuthContext, ref: string, exportId: string) {
  const { org } = await accessOrganization(db, auth, ref, Permission.OrganizationExport)
  const row = await findExport(db, org.id, exportId.toLowerCase())
  if (!row || (row.expires_at !== null && row.expires_at <= nowIso())) throw AppError.notFound()
  return { org, row }
}
