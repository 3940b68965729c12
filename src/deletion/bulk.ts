import type { Db } from '../db/connect.js'
import { isId } from '../db/ids.js'
import type { Clock } from '../core/clock.js'
import { AppError, ErrorCode } from '../core/errors.js'
import { findAnyOrganization, findOwners } from '../organizations/repository.js'
import { requestDeletion, type DeletionPolicy } from './command.js'
import { deletionsPaused, findDeletionOfRef } from './repository.js'
import { previewOf } from './service.js'

// `npx orgspace deletions bulk` (docs/api.md §15): an operator deletes many workspaces from a file of ids or slugs.
// Each deletion is the owner's own DELETE, made as the owner at the time (the receipt and `organization.deleted`
// name them), so it is refused for the same reasons a DELETE is. The real run is paced — at most `perMinute`
// requests a minute — and waits while an operator has paused deletions, on a clock and a sleep it is given.

export interface BulkOptions {
  dryRun: boolean
  perMinute: number
  policy: DeletionPolicy
  clock: Clock
  sleep(ms: number): Promise<void>
  /** How often a paused run looks again whether deletions were resumed (PURGE_POLL_MS). */
  pollMs: number
  /** Told each line's outcome as soon as it is known. */
  onLine?(line: BulkLine, done: number, total: number): void
}

type BulkOutcome =
  | { kind: 'requested'; deletionId: string }
  | { kind: 'already-deleted'; deletionId: string }
  | { kind: 'blocked'; reason: string }
  | { kind: 'not-found' }
  | { kind: 'repeated' }
  | { kind: 'preview'; counts: Record<string, number>; blockers: string[] }

export interface BulkLine {
  ref: string
  organizationId: string | null
  outcome: BulkOutcome
}

export interface BulkSummary {
  lines: BulkLine[]
  /** Workspaces deleted by this run or before it, each once. */
  requested: number
  /** Dry run: workspaces a real run would delete now. */
  deletable: number
  blocked: Array<{ ref: string; reason: string }>
  notFound: string[]
}

const refOf = (ref: string) => (isId(ref) ? { id: ref.toLowerCase() } : { slug: ref.toLowerCase() })

/** The file's references: one a line, blank lines skipped, surrounding space ignored. */
export function bulkRefs(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
}

/** Why a DELETE was refused, as one line. */
function blockers(preview: Awaited<ReturnType<typeof previewOf>>): string[] {
  return preview.blockers.map((b) =>
    'reason' in b ? `legal hold: ${b.reason}` : `subscription ${b.id} is ${b.status}`,
  )
}

export async function runBulkDeletion(db: Db, refs: string[], options: BulkOptions): Promise<BulkSummary> {
  const lines: BulkLine[] = []
  const seen = new Set<string>()
  const gapMs = 60_000 / options.perMinute
  let nextAt = -Infinity
  for (const ref of refs) {
    const line = await bulkLine(db, ref, seen, options, async () => {
      // Paced on the requests themselves: a pause does not bank requests to make in a burst afterwards.
      const wait = nextAt - options.clock.now()
      if (wait > 0) await options.sleep(wait)
      while (await deletionsPaused(db)) await options.sleep(options.pollMs)
      nextAt = options.clock.now() + gapMs
    })
    lines.push(line)
    options.onLine?.(line, lines.length, refs.length)
  }
  return summarize(lines)
}

async function bulkLine(
  db: Db,
  ref: string,
  seen: Set<string>,
  options: BulkOptions,
  paced: () => Promise<void>,
): Promise<BulkLine> {
  const org = await findAnyOrganization(db, refOf(ref))
  const live = org?.status === 'active' ? org : undefined
  const deletion = live ? undefined : await findDeletionOfRef(db, org ? { id: org.id } : refOf(ref))
  const organizationId = live?.id ?? deletion?.organization_id ?? null
  const result = (outcome: BulkOutcome): BulkLine => ({ ref, organizationId, outcome })
  if (organizationId === null) return result({ kind: 'not-found' })
  if (seen.has(organizationId)) return result({ kind: 'repeated' })
  seen.add(organizationId)
  if (!live) return result({ kind: 'already-deleted', deletionId: deletion?.id ?? '' })
  if (options.dryRun) {
    const preview = await previewOf(db, live, options.policy.graceSeconds)
    return result({ kind: 'preview', counts: preview.counts, blockers: blockers(preview) })
  }
  await paced()
  const [owner] = await findOwners(db, [live.id])
  if (!owner) return result({ kind: 'blocked', reason: 'it has no owner' })
  const auth = { userId: owner.id, email: owner.email, name: '', tokenId: '', organizationId: null }
  try {
    const { deletionId } = await requestDeletion(db, auth, live.id, options.policy)
    return result({ kind: 'requested', deletionId })
  } catch (error) {
    if (!(error instanceof AppError)) throw error
    if (error.code === ErrorCode.EntityNotFound) return result({ kind: 'already-deleted', deletionId: '' })
    const reason = blockers(await previewOf(db, live, options.policy.graceSeconds)).join('; ')
    return result({ kind: 'blocked', reason: reason || error.message })
  }
}

function summarize(lines: BulkLine[]): BulkSummary {
  const summary: BulkSummary = { lines, requested: 0, deletable: 0, blocked: [], notFound: [] }
  for (const { ref, outcome } of lines) {
    if (outcome.kind === 'requested' || outcome.kind === 'already-deleted') summary.requested++
    else if (outcome.kind === 'blocked') summary.blocked.push({ ref, reason: outcome.reason })
    else if (outcome.kind === 'not-found') summary.notFound.push(ref)
    else if (outcome.kind === 'preview' && outcome.blockers.length > 0)
      summary.blocked.push({ ref, reason: outcome.blockers.join('; ') })
    else if (outcome.kind === 'preview') summary.deletable++
  }
  return summary
}
