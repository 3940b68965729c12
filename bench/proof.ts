import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { openDatabase, type Db } from '../src/db/connect.js'
import { newId } from '../src/db/ids.js'
import { migrateToLatest } from '../src/db/migrate.js'
import { certificateClaims } from '../src/deletion/certificate.js'
import { requestDeletion } from '../src/deletion/command.js'
import { signJwt } from '../src/deletion/jws.js'
import { openProof, proofSettings } from '../src/deletion/proof.js'
import { PurgeWorker } from '../src/deletion/worker.js'
import { seedOrganization } from '../src/seed/seed.js'
import { openStorage, storageSettings } from '../src/storage/open.js'

// The cost of proving deletions (docs/api.md §11, §12), on SQLite with a filesystem ledger, as ratios measured in one
// run: (1) issuing a certificate (its verification re-count, the storage listing and the signature) against the
// purge of a 10,000-row workspace; (2) starting the app (buildApp + ready, which replays the ledger) with 100,000
// tombstones in the ledger against none. `node --import tsx bench/proof.ts [rounds]`; figures in BENCHMARKS.md.

const ROUNDS = Number(process.argv[2] ?? 5)
const ROWS = 10_000
const TOMBSTONES = 100_000

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN
}
const silent = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
}

const dir = mkdtempSync(join(tmpdir(), 'orgspace-bench-proof-'))
const env = (ledger: string) => ({
  DATABASE_URL: `sqlite:${join(dir, 'orgspace.db')}`,
  STORAGE_URL: `file:${join(dir, 'storage')}`,
  LEDGER_URL: `file:${join(dir, ledger)}`,
  SIGNING_KEY_FILE: join(dir, 'keys', 'signing.pem'),
  LOG_LEVEL: 'silent',
  PURGE_WORKER: 'off',
  EVENT_WORKER: 'off',
})

async function deletedWorkspace(db: Db, round: number): Promise<string> {
  const seeded = await seedOrganization(db, {
    owner: `bench-${round}@example.test`,
    devices: ROWS - 100,
    audit: 99,
  })
  const auth = { userId: seeded.ownerId, email: '', name: '', tokenId: '', organizationId: null }
  const { deletionId } = await requestDeletion(db, auth, seeded.organizationId, {
    graceSeconds: 0,
    quarantineSeconds: 0,
  })
  return deletionId
}

async function purgeAndIssue(): Promise<{ purgeMs: number; issueMs: number }> {
  const config = loadConfig(env('ledger'))
  const database = openDatabase(config.DATABASE_URL)
  await migrateToLatest(database.db)
  const storage = await openStorage(storageSettings(config))
  const settings = proofSettings(config)
  const proof = await openProof(settings)
  const purges: number[] = []
  const issues: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    const deletionId = await deletedWorkspace(database.db, round)
    const worker = new PurgeWorker(database.db, {
      batchTargetMs: config.PURGE_BATCH_TARGET_MS,
      pollMs: 50,
      leaseMs: 30_000,
      logger: silent,
      storage,
      proof: settings,
    })
    const started = performance.now()
    await worker.drain()
    purges.push(performance.now() - started)
    // The issuance alone, again on the purged workspace: what the purge's last transaction adds.
    const deletion = await database.db
      .selectFrom('deletions')
      .selectAll()
      .where('id', '=', deletionId)
      .executeTakeFirstOrThrow()
    if (deletion.certificate === null || deletion.completed_at === null) throw new Error('no certificate')
    const issueStarted = performance.now()
    const claims = await certificateClaims(
      database.db,
      { ...proof, storage },
      {
        ...deletion,
        counts: JSON.parse(deletion.counts) as Record<string, number>,
        completedAt: deletion.completed_at,
      },
      new Date().toISOString(),
    )
    await signJwt(claims, proof.keys)
    issues.push(performance.now() - issueStarted)
  }
  await proof.ledger.close()
  await storage.close()
  await database.close()
  return { purgeMs: median(purges), issueMs: median(issues) }
}

/** Tombstones of deletions the database never saw (their organizations are not there): replay lists, finds none. */
function writeTombstones(folder: string, count: number): void {
  const tombstones = join(dir, folder, 'tombstones')
  mkdirSync(tombstones, { recursive: true })
  const at = Date.now()
  for (let i = 0; i < count; i++) {
    const [organizationId, deletionId, requestedBy] = [newId(), newId(), newId()]
    const body = { deletionId, organizationId, requestedBy, requestedAt: new Date(at).toISOString() }
    writeFileSync(
      join(tombstones, `${organizationId}.${deletionId}.${requestedBy}.${at}.json`),
      JSON.stringify(body),
    )
  }
}

async function startMs(ledger: string): Promise<number> {
  const started = performance.now()
  const app = await buildApp({ config: loadConfig(env(ledger)) })
  await app.ready()
  const elapsed = performance.now() - started
  await app.close()
  return elapsed
}

async function startup(): Promise<{ noneMs: number; fullMs: number }> {
  mkdirSync(join(dir, 'empty-ledger'), { recursive: true })
  writeTombstones('full-ledger', TOMBSTONES)
  await startMs('empty-ledger') // a first start loads every module once; it is not counted
  const none: number[] = []
  const full: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    none.push(await startMs('empty-ledger'))
    full.push(await startMs('full-ledger'))
  }
  return { noneMs: median(none), fullMs: median(full) }
}

try {
  const { purgeMs, issueMs } = await purgeAndIssue()
  const { noneMs, fullMs } = await startup()
  const lines = [
    `rounds: ${ROUNDS} (medians), SQLite, filesystem ledger; load average ${loadavg()[0]?.toFixed(1)} on this machine`,
    `purge of a ${ROWS}-row workspace (tombstone, purge, certificate): ${purgeMs.toFixed(1)} ms`,
    `certificate issuance alone: ${issueMs.toFixed(2)} ms = ${((100 * issueMs) / purgeMs).toFixed(2)} % of the purge (target ≤ 10 %)`,
    `start-up, empty ledger: ${noneMs.toFixed(1)} ms; with ${TOMBSTONES} tombstones: ${fullMs.toFixed(1)} ms`,
    `start-up difference: ${(fullMs - noneMs).toFixed(1)} ms, ratio ${(fullMs / noneMs).toFixed(2)}× (target ≤ 1000 ms more)`,
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
