import { ManualClock } from './clock.js'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { inject } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { loadConfig, type Config } from '../../src/config.js'
import { openDatabase, type DatabaseHandle, type Db, type Dialect } from '../../src/db/connect.js'
import type { Resolver } from '../../src/webhooks/address-policy.js'
import { type ObjectStorage } from '../../src/storage/storage.js'
import { openStorage, storageSettings } from '../../src/storage/open.js'
import { databaseUrl } from './pg-cluster.js'
import { proofSettings } from '../../src/deletion/proof.js'
import { useStorage } from './purge.js'

export const dialect: Dialect = process.env.ORGSPACE_TEST_DIALECT === 'postgres' ? 'postgres' : 'sqlite'

export interface TestDatabase {
  url: string
  drop(): Promise<void>
}

/**
 * A fresh database of the dialect under test: a SQLite file, or a clone of the migrated PG template — or, with
 * `unmigrated`, an empty PostgreSQL database (for tests of the migrations themselves).
 */
export async function createTestDatabase({ unmigrated = false } = {}): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'orgspace-test-'))
    return {
      url: `sqlite:${join(dir, 'test.db')}`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    }
  }
  const server = inject('pgServerUrl')
  const name = `orgspace_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: server })
  await admin.connect()
  await admin.query(`create database ${name}${unmigrated ? '' : ' template orgspace_template'}`)
  await admin.end()
  return {
    url: databaseUrl(server, name),
    async drop() {
      const client = new pg.Client({ connectionString: server })
      await client.connect()
      await client.query(`drop database if exists ${name} with (force)`)
      await client.end()
    },
  }
}

export interface TestApp {
  app: FastifyInstance
  db: Db
  database: DatabaseHandle
  /** Where the app keeps builds: a folder of its own unless the test passed STORAGE_URL (an S3 server). */
  storage: ObjectStorage
  config: Config
  url: string
  /** The app's clock: a test moves it instead of sleeping. */
  clock: ManualClock
  /** What the app logged, parsed (nothing at the default LOG_LEVEL=silent). */
  logs: Record<string, unknown>[]
  /** Stops the app and closes the database as a clean shutdown does, keeping the database for inspection. */
  stop(): Promise<void>
  /** Stops (unless stopped) and drops the database. */
  close(): Promise<void>
}

export interface TestAppOptions {
  /** Rewrites the database URL the app connects to (e.g. through a proxy the test can cut). */
  rewriteUrl?: (url: string) => string
  /** Where host names resolve for the webhook address guard (see webhooks/address-policy.ts). */
  resolveHost?: Resolver
}

/** The production app (same buildApp, same options) on a database of its own. */
export async function buildTestApp(
  env: Record<string, string> = {},
  { rewriteUrl = (url) => url, resolveHost }: TestAppOptions = {},
): Promise<TestApp> {
  const testDb = await createTestDatabase()
  const storageDir = mkdtempSync(join(tmpdir(), 'orgspace-storage-'))
  // The deletion ledger and the signing key, outside the repository (their defaults are under ./data).
  const proofDir = mkdtempSync(join(tmpdir(), 'orgspace-proof-'))
  // Test files make hundreds of requests from one address and token; the limits' own tests turn them on.
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    PURGE_WORKER: 'off',
    EVENT_WORKER: 'off',
    RATE_LIMIT: 'off',
    STORAGE_URL: `file:${storageDir}`,
    LEDGER_URL: `file:${join(proofDir, 'ledger')}`,
    SIGNING_KEY_FILE: join(proofDir, 'keys', 'signing.pem'),
    MASTER_KEY: process.env.MASTER_KEY ?? '',
    ...env,
    DATABASE_URL: rewriteUrl(testDb.url),
  })
  const database = openDatabase(config.DATABASE_URL)
  const storage = await openStorage(storageSettings(config))
  useStorage(database.db, storage, proofSettings(config))
  const logs: Record<string, unknown>[] = []
  const clock = new ManualClock()
  const app = await buildApp({
    config,
    database,
    storage,
    logStream: { write: (line) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
    resolveHost,
    clock,
  })
  await app.ready()
  let stopped: Promise<void> | undefined
  const stop = async () => {
    stopped ??= app.close().then(() => database.close())
    await stopped
  }
  return {
    app,
    db: database.db,
    database,
    storage,
    config,
    url: testDb.url,
    clock,
    logs,
    stop,
    async close() {
      await stop()
      await storage.close()
      await testDb.drop()
      rmSync(storageDir, { recursive: true, force: true })
      rmSync(proofDir, { recursive: true, force: true })
    },
  }
}
