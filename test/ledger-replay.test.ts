import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { BACKENDS, unavailable, type Backend } from './support/backends.js'
import { S3_AVAILABLE, startS3Server, type S3Server } from './support/s3.js'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest'
import { openDatabase } from '../src/db/connect.js'
import { createTestDatabase, dialect, type TestDatabase } from './support/app.js'
import { verifyIndependently, type Jwk } from './support/certificates.js'
import { kill, runNode, startNode, startServer, waitFor, type Child } from './support/processes.js'
import { rowsOf } from './support/purge.js'

// docs/api.md §12, as an operator lives it: a database backup taken before a deletion is restored, and the workspace
// must stay gone. Real processes (`serve`, `worker`, the CLI) on a real database, a real ledger folder; the backup
// is a SQLite file copy, or on PostgreSQL a database created from it as a template.

const SLOW = { timeout: 240_000 }

let testDb: TestDatabase
let dir: string
let env: Record<string, string>
let token: string
let neighbour: string
let neighbourRows: Record<string, number>

const cli = (...args: string[]) => runNode('src/cli.ts', args, { ...env, LOG_LEVEL: 'silent' })

/** A copy of the database as it is now, and a way to put it back. */
interface Backup {
  restore(): Promise<void>
}

async function backup(): Promise<Backup> {
  if (dialect === 'sqlite') {
    const file = env.DATABASE_URL?.slice('sqlite:'.length) ?? ''
    const suffixes = ['', '-wal', '-shm'].filter((s) => existsSync(file + s))
    for (const s of suffixes) copyFileSync(file + s, `${file}.backup${s}`)
    return {
      async restore() {
        for (const s of ['', '-wal', '-shm']) rmSync(file + s, { force: true })
        for (const s of suffixes) copyFileSync(`${file}.backup${s}`, file + s)
      },
    }
  }
  const server = inject('pgServerUrl')
  const name = new URL(env.DATABASE_URL ?? '').pathname.slice(1)
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: server })
    await client.connect()
    try {
      await client.query(statement)
    } finally {
      await client.end()
    }
  }
  const copy = `${name}_backup_${Date.now()}`
  await admin(`create database ${copy} template ${name}`)
  return {
    async restore() {
      await admin(`drop database ${name} with (force)`)
      await admin(`create database ${name} template ${copy}`)
    },
  }
}

async function api(server: Child & { url: string }, method: string, path: string) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}` },
  })
  return { status: response.status, body: (await response.json()) as any }
}

async function rows(organizationId: string) {
  const database = openDatabase(env.DATABASE_URL ?? '')
  try {
    return await rowsOf(database.db, organizationId)
  } finally {
    await database.close()
  }
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0)

async function receipts(server: Child & { url: string }) {
  return (await api(server, 'GET', '/v1/deletions?limit=100')).body.data.items as any[]
}

let seeded = 0

/** A populated workspace, created through the CLI as an operator would. */
async function seedWorkspace(slug = `doomed-${++seeded}`): Promise<string> {
  const run = await cli(
    'seed',
    '--owner',
    'owner@example.test',
    '--slug',
    slug,
    '--apps',
    '3',
    '--devices',
    '300',
    '--audit',
    '300',
  )
  expect(run.code, run.stderr).toBe(0)
  return run.stdout.trim()
}

/** Deletes the workspace through a server and waits for its certificate; the ledger then holds its tombstone. */
async function deleteThroughServer(doomed: string, serverEnv: Record<string, string>): Promise<string> {
  const server = await startServer(serverEnv)
  try {
    const deleted = await api(server, 'DELETE', `/v1/organizations/${doomed}`)
    expect(deleted.status).toBe(200)
    const { deletionId } = deleted.body.data
    await waitFor(
      async () => (await api(server, 'GET', `/v1/deletions/${deletionId}/certificate`)).status === 200,
      60_000,
    )
    return deletionId as string
  } finally {
    await kill(server, 'SIGTERM')
  }
}

/** What a restored workspace must end as: purged again, by a replayed receipt with a new certificate. */
async function expectReplayed(server: Child & { url: string }, doomed: string, original: string) {
  const replay = await waitFor(
    async () => (await receipts(server)).find((r) => r.replayOf === original && r.status === 'completed'),
    90_000,
    () => server.output(),
  )
  expect(replay).toMatchObject({
    replayOf: original,
    organization: { id: doomed },
    requestedBy: { email: 'owner@example.test' },
  })
  const certificate = await api(server, 'GET', `/v1/deletions/${replay.id}/certificate`)
  expect(certificate.status).toBe(200)
  const jwks = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: Jwk[] }
  expect(verifyIndependently(certificate.body.data.certificate, jwks).claims).toMatchObject({
    sub: doomed,
    jti: replay.id,
    replayOf: original,
  })
  const left = await rows(doomed)
  expect(total(left) - (left.deletions ?? 0), JSON.stringify(left)).toBe(0)
  expect(await rows(neighbour)).toEqual(neighbourRows)
}

let s3: S3Server | null = null

beforeAll(async () => {
  testDb = await createTestDatabase()
  dir = mkdtempSync(join(tmpdir(), 'orgspace-ledger-'))
  env = {
    DATABASE_URL: testDb.url,
    STORAGE_URL: `file:${join(dir, 'storage')}`,
    LEDGER_URL: `file:${join(dir, 'ledger')}`,
    SIGNING_KEY_FILE: join(dir, 'keys', 'signing.pem'),
    PURGE_POLL_MS: '50',
    EVENT_WORKER: 'off',
    RATE_LIMIT: 'off',
    // A server says it listens at info level, which startServer waits for.
    LOG_LEVEL: 'info',
  }
  const user = await cli('user', 'create', '--email', 'owner@example.test')
  expect(user.code, user.stderr).toBe(0)
  token = user.stdout.trim()
  neighbour = await seedWorkspace('neighbour')
  neighbourRows = await rows(neighbour)
  if (S3_AVAILABLE) s3 = await startS3Server()
}, SLOW.timeout)

afterAll(async () => {
  await s3?.close()
  await testDb.drop()
  rmSync(dir, { recursive: true, force: true })
})

/** The environment of a ledger kept in a folder, or in a bucket of a real S3 server. */
async function ledgerEnv(backend: Backend): Promise<Record<string, string>> {
  if (backend === 'file') return env
  if (!s3) throw new Error('no S3 server')
  const bucket = await s3.bucket()
  return {
    ...env,
    ...bucket,
    STORAGE_URL: env.STORAGE_URL ?? '',
    LEDGER_URL: bucket.STORAGE_URL?.replace(/\/builds$/, '/ledger') ?? '',
  }
}

describe.each(BACKENDS)('a backup restored after a deletion, ledger on %s', (backend) => {
  it.skipIf(unavailable(backend))(
    'is deleted again before the first request, purged and certified; ledger check sees it before, not after',
    SLOW,
    async () => {
      const withLedger = await ledgerEnv(backend)
      const doomed = await seedWorkspace()
      const before = await backup()
      const original = await deleteThroughServer(doomed, withLedger)
      expect(await rows(doomed)).toMatchObject({ organizations: 0, devices: 0 })
      await before.restore()
      expect((await rows(doomed)).devices).toBe(300)

      const check = await runNode('src/cli.ts', ['ledger', 'check'], { ...withLedger, LOG_LEVEL: 'silent' })
      expect(check.code).toBe(1)
      expect(check.stdout).toContain(`organization_exists\t${doomed}\t${original}`)

      const server = await startServer(withLedger)
      try {
        // The first request already finds it gone.
        const first = await api(server, 'GET', `/v1/organizations/${doomed}`)
        expect(first.status).toBe(404)
        expect(first.body.error.code).toBe(3001)
        expect((await api(server, 'GET', `/v1/organizations/${neighbour}`)).status).toBe(200)
        await expectReplayed(server, doomed, original)
      } finally {
        await kill(server, 'SIGTERM')
      }
      const after = await runNode('src/cli.ts', ['ledger', 'check'], { ...withLedger, LOG_LEVEL: 'silent' })
      expect(after.code, after.stdout + after.stderr).toBe(0)
    },
  )
})

describe('replay by a standalone worker', () => {
  it(
    'with PURGE_WORKER=off the server hides the workspace at once and `orgspace worker` purges it',
    SLOW,
    async () => {
      const doomed = await seedWorkspace()
      const before = await backup()
      const original = await deleteThroughServer(doomed, env)
      await before.restore()
      // The worker replays too before it takes work: started first, it deletes the workspace again by itself.
      const worker = startNode('src/cli.ts', ['worker'], env)
      const server = await startServer({ ...env, PURGE_WORKER: 'off' })
      try {
        const first = await api(server, 'GET', `/v1/organizations/${doomed}`)
        expect(first.body.error?.code).toBe(3001)
        await expectReplayed(server, doomed, original)
        // Replayed once, whichever process saw it first.
        expect((await receipts(server)).filter((r) => r.replayOf === original)).toHaveLength(1)
      } finally {
        await kill(worker, 'SIGTERM')
        await kill(server, 'SIGTERM')
      }
      expect((await cli('ledger', 'check')).code).toBe(0)
    },
  )
})

describe('a crash between the tombstone and the purge', () => {
  it(
    'loses nothing: after SIGKILL the tombstone is there, and the restarted server completes the purge',
    SLOW,
    async () => {
      const doomed = await seedWorkspace()
      const server = await startServer(env)
      const deleted = await api(server, 'DELETE', `/v1/organizations/${doomed}`)
      expect(deleted.status).toBe(200)
      const { deletionId } = deleted.body.data
      const tombstones = join(dir, 'ledger', 'tombstones')
      const written = () =>
        existsSync(tombstones) && readdirSync(tombstones).some((f) => f.includes(deletionId))
      while (!written()) await new Promise((resolve) => setImmediate(resolve))
      server.process.kill('SIGKILL')
      await server.exited
      // Killed after its tombstone reached the ledger and before the purge completed.
      const database = openDatabase(env.DATABASE_URL ?? '')
      try {
        const receipt = await database.db
          .selectFrom('deletions')
          .selectAll()
          .where('id', '=', deletionId)
          .executeTakeFirst()
        expect(receipt?.status).toBe('purging')
      } finally {
        await database.close()
      }
      expect((await rows(doomed)).organizations).toBe(1)

      const restarted = await startServer(env)
      try {
        await waitFor(
          async () => (await api(restarted, 'GET', `/v1/deletions/${deletionId}/certificate`)).status === 200,
          90_000,
        )
      } finally {
        await kill(restarted, 'SIGTERM')
      }
      const left = await rows(doomed)
      expect(total(left) - (left.deletions ?? 0)).toBe(0)
      expect(readdirSync(tombstones).filter((f) => f.includes(deletionId))).toHaveLength(1)
      expect((await cli('ledger', 'check')).code).toBe(0)
      expect(await rows(neighbour)).toEqual(neighbourRows)
    },
  )
})

describe('a ledger that cannot be read at start', () => {
  it('stops serve and worker with one line naming LEDGER_URL', SLOW, async () => {
    const broken = { ...env, LEDGER_URL: 'file:/dev/null/ledger' }
    for (const command of [['serve'], ['worker']]) {
      const run = await runNode('src/cli.ts', command, broken)
      expect(run.code, command.join(' ')).toBe(1)
      expect(run.stderr.trim().split('\n')).toHaveLength(1)
      expect(run.stderr).toMatch(/deletion ledger .*\(set LEDGER_URL\)/)
    }
  })
})
