import { performance } from 'node:perf_hooks'
import type { Db } from '../db/connect.js'
import type { Clock } from '../core/clock.js'
import { isoAt } from '../core/clock.js'
import { deleteAuditEventsBefore } from '../audit/repository.js'
import { recordAudit } from '../outbox/audit.js'
import { deleteBuildsById, expiredBuilds } from '../builds/repository.js'
import { BatchSizer } from '../core/batch-sizer.js'
import { emitEvent, organizationRef } from '../outbox/emit.js'
import { adjustCounter, lockLiveOrganization } from '../organizations/repository.js'
import { buildKey } from '../storage/keys.js'
import { enqueueRemovals } from '../storage/removals.js'
import { claimDueOrganization, retentionPolicyOf } from './repository.js'

// Retention (docs/api.md §15): builds and history older than an organization's policy are removed in the
// background, in small batches like the purge's, each a short transaction under the organization's write lock
// (organizations/write.ts) — so a DELETE or a legal hold placed meanwhile stops it at the next batch. Builds'
// objects leave storage through the same outbox as everything else (storage/removals.ts).

const DAY_MS = 86_400_000

/** How often each organization's policy is applied. */
const RETENTION_INTERVAL_MS = 60 * 60_000

/** Retention's batches are bounded above: a batch's removals are queued in one statement. */
const MAX_BATCH = 1000

export interface RetentionOptions {
  /** Time budget of one batch (PURGE_BATCH_TARGET_MS); the batch size follows it. */
  targetMs: number
  /** A pause after each batch, so waiting writers get SQLite's write lock first. */
  pauseMs?: number
  intervalMs?: number
  shouldStop?(): boolean
  sizer?: BatchSizer
}

export interface RetentionRun {
  organizationId: string
  builds: number
  bytes: number
  events: number
}

const pause = (ms: number) =>
  new Promise<void>((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve)))

/**
 * Applies the policy of one organization that is due (see claimDueOrganization), to the end unless stopped.
 * False when no organization was due. A run that removed something records one audit event with its counts
 * and emits `organization.retention.applied`.
 */
export async function retentionStep(db: Db, clock: Clock, options: RetentionOptions): Promise<boolean> {
  const org = await claimDueOrganization(
    db,
    isoAt(clock),
    isoAt(clock, -(options.intervalMs ?? RETENTION_INTERVAL_MS)),
  )
  if (!org) return false
  await applyRetention(db, clock, org.id, options)
  return true
}

/** One organization's run: batch after batch until nothing more is expired, or the organization is held or gone. */
export async function applyRetention(
  db: Db,
  clock: Clock,
  organizationId: string,
  options: RetentionOptions,
): Promise<RetentionRun> {
  const sizer = options.sizer ?? new BatchSizer(options.targetMs, 50, MAX_BATCH, 200)
  const run: RetentionRun = { organizationId, builds: 0, bytes: 0, events: 0 }
  let policy: Policy | undefined
  for (;;) {
    const limit = Math.min(sizer.size, MAX_BATCH)
    const started = performance.now()
    const batch = await removeBatch(db, clock, organizationId, limit)
    if (!batch) break
    policy = batch.policy
    // A batch is as long as the rows it was given to remove, found or not.
    const rows = batch.candidates + batch.events
    sizer.observe(performance.now() - started, rows)
    run.builds += batch.builds
    run.bytes += batch.bytes
    run.events += batch.events
    if (rows < limit || options.shouldStop?.()) break
    await pause(options.pauseMs ?? 0)
  }
  if (policy && run.builds + run.events > 0) await recordRun(db, run, policy)
  return run
}

interface Policy {
  auditDays: number | null
  buildsDays: number | null
  buildsKeepLatest: number | null
}

/**
 * One batch, deleted in one transaction under the organization's write lock: first expired builds, then with
 * what is left of `limit` expired history. Undefined when the organization is no longer live, or is held.
 */
async function removeBatch(db: Db, clock: Clock, organizationId: string, limit: number) {
  // The expired builds are chosen before the lock, so the write lock is held only for the deletes. Whatever
  // happens meanwhile cannot make a chosen build one to keep: uploads only add newer builds, and a build another
  // request deleted is simply not found.
  const policy = await readPolicy(db, organizationId)
  const candidates =
    !policy || policy.buildsDays === null
      ? []
      : await expiredBuilds(
          db,
          organizationId,
          isoAt(clock, -policy.buildsDays * DAY_MS),
          policy.buildsKeepLatest ?? 0,
          limit,
        )
  return db.transaction().execute(async (trx) => {
    if (!(await lockLiveOrganization(trx, organizationId))) return undefined
    const current = await readPolicy(trx, organizationId)
    if (!current) return undefined
    const builds =
      current.buildsDays === null
        ? []
        : await deleteBuildsById(
            trx,
            organizationId,
            candidates.map((build) => build.id),
          )
    const bytes = builds.reduce((sum, build) => sum + Number(build.size), 0)
    if (builds.length > 0) {
      await enqueueRemovals(
        trx,
        builds.map((build) => ({
          organizationId,
          kind: 'object' as const,
          key: buildKey(organizationId, build.app_id, build.id),
        })),
      )
      await adjustCounter(trx, organizationId, 'builds_bytes', -bytes)
    }
    const room = limit - candidates.length
    const events =
      current.auditDays === null || room <= 0
        ? 0
        : await deleteAuditEventsBefore(trx, organizationId, isoAt(clock, -current.auditDays * DAY_MS), room)
    return { policy: current, builds: builds.length, candidates: candidates.length, bytes, events }
  })
}

/** The organization's policy, or undefined when it is under legal hold (or gone). */
async function readPolicy(db: Db, organizationId: string): Promise<Policy | undefined> {
  const row = await retentionPolicyOf(db, organizationId)
  if (!row || row.legal_hold_reason !== null) return undefined
  return {
    auditDays: row.retention_audit_days,
    buildsDays: row.retention_builds_days,
    buildsKeepLatest: row.retention_builds_keep_latest,
  }
}

/** The run's one audit event and webhook event, unless the organization was deleted meanwhile. */
async function recordRun(db: Db, run: RetentionRun, policy: Policy): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const org = await lockLiveOrganization(trx, run.organizationId)
    if (!org) return
    await recordAudit(trx, {
      organizationId: org.id,
      action: 'organization.retention',
      entity: 'organization',
      entityId: org.id,
      actorId: null,
      details: {
        name: org.name,
        ...(run.builds > 0 ? { builds: run.builds, buildsDays: policy.buildsDays ?? undefined } : {}),
        ...(run.events > 0 ? { events: run.events, auditDays: policy.auditDays ?? undefined } : {}),
      },
    })
    await emitEvent(trx, {
      type: 'organization.retention.applied',
      organization: organizationRef(org),
      actor: null,
      data: {
        removed: { builds: run.builds, bytes: run.bytes, auditEvents: run.events },
        retention: policy,
      },
    })
  })
}
