import type { AuditChange, AuditValue } from '../contract/audit.js'

/** Longer text (an app's description) is kept to this many characters: the history says it changed, not all of it. */
const MAX_TEXT = 200

function clipped(value: AuditValue): AuditValue {
  return typeof value === 'string' && value.length > MAX_TEXT ? `${value.slice(0, MAX_TEXT - 1)}…` : value
}

/**
 * The fields of `after` whose value differs from `before`, each with both values: what an update changed, for its
 * audit event. Fields `after` does not set were not changed.
 */
export function changesBetween<T extends Record<string, AuditValue | undefined>>(
  before: T,
  after: Partial<T>,
): Record<string, AuditChange> {
  const changes: Record<string, AuditChange> = {}
  for (const [field, to] of Object.entries(after)) {
    const from = before[field]
    if (to !== undefined && from !== undefined && to !== from)
      changes[field] = { from: clipped(from), to: clipped(to) }
  }
  return changes
}
