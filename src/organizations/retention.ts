import type { AuditChange } from '../contract/audit.js'
import type { Retention } from '../contract/api.js'
import type { Organization } from '../db/types.js'
import { changesBetween } from '../outbox/audit-details.js'

// An organization's retention policy (docs/api.md §15) as the API shows and takes it, and as its row stores it.

type RetentionColumns = Pick<
  Organization,
  'retention_audit_days' | 'retention_builds_days' | 'retention_builds_keep_latest'
>

export function retentionOf(org: RetentionColumns): Retention {
  return {
    auditDays: org.retention_audit_days ?? null,
    buildsDays: org.retention_builds_days ?? null,
    buildsKeepLatest: org.retention_builds_keep_latest ?? null,
  }
}

/** The columns a partial policy sets; a field left out is not touched. */
export function retentionPatch(input: Partial<Retention> | undefined): Partial<RetentionColumns> {
  const patch: Partial<RetentionColumns> = {}
  if (input?.auditDays !== undefined) patch.retention_audit_days = input.auditDays
  if (input?.buildsDays !== undefined) patch.retention_builds_days = input.buildsDays
  if (input?.buildsKeepLatest !== undefined) patch.retention_builds_keep_latest = input.buildsKeepLatest
  return patch
}

/** What the patch changes, for the update's audit event: `retention.auditDays: {from: null, to: 90}`. */
export function retentionChanges(
  org: RetentionColumns,
  patch: Partial<RetentionColumns>,
): Record<string, AuditChange> {
  const changes = changesBetween<Record<string, number | null>>(
    { ...retentionOf(org) },
    { ...retentionOf({ ...org, ...patch }) },
  )
  return Object.fromEntries(Object.entries(changes).map(([field, change]) => [`retention.${field}`, change]))
}
