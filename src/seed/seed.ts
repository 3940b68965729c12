import { randomBytes } from 'node:crypto'
import type { Db, Trx } from '../db/connect.js'
import { nowIso } from '../db/ids.js'
import { adjustCounter } from '../organizations/repository.js'
import { createOrganization } from '../organizations/service.js'
import { writeInOrganization } from '../organizations/write.js'
import type { AuthContext } from '../core/auth-context.js'
import { findOrCreateUser } from '../users/service.js'
import { insertGenerated, insertRows } from '../db/bulk-insert.js'
import {
  APP_COLUMNS,
  appRow,
  AUDIT_COLUMNS,
  auditRow,
  COLLABORATOR_COLUMNS,
  collaboratorRows,
  DEVICE_COLUMNS,
  deviceRow,
  USER_COLUMNS,
  type SampledEntity,
} from './rows.js'

type SeedPhase = 'collaborators' | 'apps' | 'devices' | 'audit'

/** How much to create. `collaborators` counts members besides the owner, who always exists. */
type SeedCounts = Record<SeedPhase, number>

export interface SeedOptions extends Partial<SeedCounts> {
  /** Email of the owner; the user is created when new. */
  owner: string
  slug?: string
  name?: string
  /**
   * Rows per transaction. Each transaction holds the organization's write lock (and on SQLite the database's
   * only writer lock), so this trades seeding speed against how long other writers wait.
   */
  rowsPerTransaction?: number
}

export interface SeedProgress {
  phase: SeedPhase
  /** Rows written so far, over all phases. */
  done: number
  total: number
  /** Since seeding started, so a reporter can show a rate that excludes start-up and migrations. */
  elapsedMs: number
}

export interface SeedResult {
  organizationId: string
  slug: string
  ownerId: string
  counts: SeedCounts
  /** Rows written by the bulk phases (the organization, its owner and their audit event not included). */
  rows: number
  elapsedMs: number
}

const DEFAULT_ROWS_PER_TRANSACTION = 25_000
/** Audit events name entities that exist: this many ids per kind, spread over the seeded rows. */
const SAMPLES_PER_KIND = 64
const PHASES: readonly SeedPhase[] = ['collaborators', 'apps', 'devices', 'audit']
/** The tables the phases write into. */
export const SEEDED_TABLES = ['users', 'collaborators', 'apps', 'devices', 'audit_events'] as const

function wholeNumber(value: number | undefined, what: string, minimum: number, fallback: number): number {
  const n = value ?? fallback
  if (!Number.isSafeInteger(n) || n < minimum)
    throw new RangeError(`${what} must be a whole number ≥ ${minimum}`)
  return n
}

/**
 * Creates one organization owned by `options.owner`, full of generated data, as fast as the database takes it.
 *
 * The organization itself comes from the API's own `createOrganization` (same slug rules, owner membership
 * and audit event). The bulk rows then go in large batches, each batch one `writeInOrganization` transaction
 * that also moves the organization's counters by what it inserted: the counts stay exact after every commit,
 * and a DELETE racing the seed either waits for a batch or makes the next one fail with 3001 — never orphans.
 */
export async function seedOrganization(
  db: Db,
  options: SeedOptions,
  /** Called after each committed batch; seeding waits for a returned promise, so a caller can pace it. */
  onProgress: (progress: SeedProgress) => void | Promise<void> = () => undefined,
): Promise<SeedResult> {
  const started = performance.now()
  const counts: SeedCounts = {
    collaborators: wholeNumber(options.collaborators, 'collaborators', 0, 0),
    apps: wholeNumber(options.apps, 'apps', 0, 0),
    devices: wholeNumber(options.devices, 'devices', 0, 0),
    audit: wholeNumber(options.audit, 'audit', 0, 0),
  }
  const perTransaction = wholeNumber(
    options.rowsPerTransaction,
    'rowsPerTransaction',
    1,
    DEFAULT_ROWS_PER_TRANSACTION,
  )

  const { user } = await findOrCreateUser(db, options.owner)
  // Seeding acts as the owner would through the API; no token is involved.
  const auth: AuthContext = {
    userId: user.id,
    email: user.email,
    name: user.name,
    tokenId: '',
    organizationId: null,
  }
  const tag = randomBytes(4).toString('hex')
  const org = await createOrganization(db, auth, {
    name: options.name ?? options.slug ?? `Seeded workspace ${tag}`,
    ...(options.slug !== undefined ? { slug: options.slug } : {}),
  })

  const samples: Record<SampledEntity, string[]> = { device: [], app: [], collaborator: [] }
  const sampler = (kind: SampledEntity, count: number) => {
    const stride = Math.max(1, Math.ceil(count / SAMPLES_PER_KIND))
    return <R extends { id: string }>(n: number, row: R): R => {
      if (n % stride === 0) samples[kind].push(row.id)
      return row
    }
  }
  const sampleCollaborator = sampler('collaborator', counts.collaborators)
  const sampleApp = sampler('app', counts.apps)
  const sampleDevice = sampler('device', counts.devices)

  const writers: Record<SeedPhase, (trx: Trx, from: number, to: number, at: string) => Promise<void>> = {
    async collaborators(trx, from, to, at) {
      const rows = range(from, to, (n) => collaboratorRows(org.id, n, tag, at))
      rows.forEach(({ collaborator }, i) => sampleCollaborator(from + i, collaborator))
      await insertRows(
        trx,
        'users',
        USER_COLUMNS,
        rows.map((r) => r.user),
      )
      await insertRows(
        trx,
        'collaborators',
        COLLABORATOR_COLUMNS,
        rows.map((r) => r.collaborator),
      )
      await adjustCounter(trx, org.id, 'collaborators_count', rows.length)
    },
    async apps(trx, from, to, at) {
      await insertGenerated(trx, 'apps', APP_COLUMNS, from, to, (n) => sampleApp(n, appRow(org.id, n, at)))
      await adjustCounter(trx, org.id, 'apps_count', to - from)
    },
    async devices(trx, from, to, at) {
      await insertGenerated(trx, 'devices', DEVICE_COLUMNS, from, to, (n) =>
        sampleDevice(n, deviceRow(org.id, n, at)),
      )
      await adjustCounter(trx, org.id, 'devices_count', to - from)
    },
    async audit(trx, from, to, at) {
      await insertGenerated(trx, 'audit_events', AUDIT_COLUMNS, from, to, (n) =>
        auditRow(org.id, user.id, n, samples, at),
      )
    },
  }

  const total = PHASES.reduce((sum, phase) => sum + counts[phase], 0)
  let done = 0
  for (const phase of PHASES) {
    for (let from = 0; from < counts[phase]; from += perTransaction) {
      const to = Math.min(from + perTransaction, counts[phase])
      await writeInOrganization(db, org.id, (trx) => writers[phase](trx, from, to, nowIso()))
      done += to - from
      await onProgress({ phase, done, total, elapsedMs: performance.now() - started })
    }
  }

  return {
    organizationId: org.id,
    slug: org.slug,
    ownerId: user.id,
    counts,
    rows: total,
    elapsedMs: performance.now() - started,
  }
}

function range<T>(from: number, to: number, make: (n: number) => T): T[] {
  const out = new Array<T>(to - from)
  for (let n = from; n < to; n++) out[n - from] = make(n)
  return out
}
