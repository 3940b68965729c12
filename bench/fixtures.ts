import { execFile } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { promisify } from 'node:util'
import { openDatabase, type Db } from '../src/db/connect.js'
import { seedOrganization } from '../src/seed/seed.js'
import { createToken } from '../src/tokens/service.js'
import { findOrCreateUser } from '../src/users/service.js'
import { orgspaceCommand, REPO_ROOT } from './server-process.js'

const run = promisify(execFile)

export interface OrgRef {
  id: string
  slug: string
  /** Devices + audit events seeded into it (the size the scenarios talk about). */
  rows: number
}

export interface OrgSpec {
  slug: string
  devices: number
  audit: number
  apps?: number
  collaborators?: number
}

/** One `orgspace seed` run, timed (scenario 5). */
export interface SeedMeasurement {
  label: string
  rows: number
  /** Seeding time as the command reports it (from its start of work to its last commit). */
  seconds: number | null
  /** Wall time of the whole command, process start and migration check included. */
  wallSeconds: number
}

/** A size of organization as the scenarios count it, split like the purge scenario's: 10 devices per audit event. */
export function splitRows(rows: number): { devices: number; audit: number } {
  const devices = Math.round((rows * 10) / 11)
  return { devices, audit: rows - devices }
}

async function withDb<T>(url: string, work: (db: Db) => Promise<T>): Promise<T> {
  const handle = openDatabase(url, { poolSize: 2 })
  try {
    return await work(handle.db)
  } finally {
    await handle.close()
  }
}

/** Creates (or reuses) the user and returns a new API token for it. */
export function createOwnerToken(url: string, email: string): Promise<string> {
  return withDb(url, async (db) => {
    const { user } = await findOrCreateUser(db, email)
    return (await createToken(db, user.id, { name: 'bench' })).token
  })
}

/** Seeds organizations in this process: for fixtures whose seeding is not itself being measured. */
export function seedInProcess(url: string, owner: string, specs: readonly OrgSpec[]): Promise<OrgRef[]> {
  return withDb(url, async (db) => {
    const refs: OrgRef[] = []
    for (const spec of specs) {
      const result = await seedOrganization(db, { owner, ...spec })
      refs.push({ id: result.organizationId, slug: result.slug, rows: spec.devices + spec.audit })
    }
    return refs
  })
}

/** Seeds one organization with the real command line (`orgspace seed`, compiled like the servers), timing it. */
export async function seedWithCli(
  url: string,
  owner: string,
  spec: OrgSpec,
  label: string,
): Promise<{ org: OrgRef; measurement: SeedMeasurement }> {
  const args = orgspaceCommand('seed', '--owner', owner, '--slug', spec.slug)
  args.push('--devices', String(spec.devices), '--audit', String(spec.audit))
  if (spec.apps) args.push('--apps', String(spec.apps))
  if (spec.collaborators) args.push('--collaborators', String(spec.collaborators))
  const started = performance.now()
  const { stdout, stderr } = await run(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'warn' },
    maxBuffer: 16 * 1024 * 1024,
  })
  const wallSeconds = (performance.now() - started) / 1000
  const id = stdout.trim()
  if (!/^[0-9a-f]{24}$/.test(id))
    throw new Error(`orgspace seed printed ${JSON.stringify(stdout)}: ${stderr}`)
  const rows = spec.devices + spec.audit + (spec.apps ?? 0) + (spec.collaborators ?? 0)
  // The command's own summary ("… N rows in S s (R rows/s)") separates seeding from Node's start-up; its rate
  // has more digits than its rounded seconds.
  const reported = /([\d,]+) rows in [\d.]+ s \(([\d,]+) rows\/s\)/.exec(stderr)
  const number = (text: string | undefined) => Number((text ?? '').replace(/,/g, ''))
  const rate = number(reported?.[2])
  return {
    org: { id, slug: spec.slug, rows: spec.devices + spec.audit },
    measurement: {
      label,
      rows,
      seconds: reported && rate > 0 ? number(reported[1]) / rate : null,
      wallSeconds,
    },
  }
}

/** A build row with no changelog, tags or deployer: what the scenarios insert without uploading. */
export function buildRow(build: {
  organizationId: string
  appId: string
  id: string
  uploadedBy: string
  size: number
  createdAt: string
  fileName?: string
  contentType?: string
}) {
  return {
    organization_id: build.organizationId,
    id: build.id,
    app_id: build.appId,
    file_name: build.fileName ?? 'b.apk',
    content_type: build.contentType ?? 'application/octet-stream',
    size: build.size,
    sha256: '0'.repeat(64),
    version_name: null,
    version_code: null,
    changelog: null,
    tags: '[]',
    deployer: null,
    uploaded_by: build.uploadedBy,
    app_token_id: null,
    created_at: build.createdAt,
  }
}
