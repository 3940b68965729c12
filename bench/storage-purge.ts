import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { loadConfig } from '../src/config.js'
import { newId } from '../src/db/ids.js'
import { openStorage, storageSettings } from '../src/storage/open.js'
import { organizationWithBuilds, putObjects } from './scenarios/storage.js'
import { REPO_ROOT, startServer } from './server-process.js'
import { postgresStore, sqliteStore } from './store.js'

// Scenario 7's filesystem purge alone, at any size, beside `rm -r` of as many files, in one run: the built server
// (dist/, or ORGSPACE_BUILD to compare two builds) purges an organization with `--builds` one-KB builds, timed by
// its receipt (requestedAt → completedAt); then as many objects are written again and their folder removed.
//   npm run build:server && node --import tsx bench/storage-purge.ts --builds 10000 --dialect sqlite
// Figures: BENCHMARKS.md ("Builds in storage: the purge and the S3 upload").

const { values } = parseArgs({
  options: {
    builds: { type: 'string', default: '10000' },
    dialect: { type: 'string', default: 'sqlite' },
  },
})
const BUILDS = Number(values.builds)

const scratch = await mkdtemp(join(REPO_ROOT, 'bench/results/tmp/storage-purge-'))
const store = values.dialect === 'postgres' ? await postgresStore() : sqliteStore(join(scratch, 'db'))
const root = join(scratch, 'objects')
const storageEnv = { STORAGE_URL: `file:${root}` }
const storage = await openStorage(storageSettings(loadConfig(storageEnv)))
const url = await store.create('storage_purge')
const server = await startServer('orgspace', {
  ...storageEnv,
  DATABASE_URL: url,
  PURGE_WORKER: 'on',
  MASTER_KEY: randomBytes(32).toString('base64'),
})
try {
  const { organizationId, token } = await organizationWithBuilds({ url, storage }, BUILDS)

  const headers = { authorization: `Bearer ${token}` }
  const answer = await fetch(`${server.baseUrl}/v1/organizations/${organizationId}`, {
    method: 'DELETE',
    headers,
  })
  const { deletionId } = ((await answer.json()) as { data: { deletionId: string } }).data
  let purge = 0
  for (;;) {
    const reply = await fetch(`${server.baseUrl}/v1/deletions/${deletionId}`, { headers })
    const receipt = ((await reply.json()) as { data: Record<string, string | null> }).data
    if (receipt.status === 'completed') {
      purge = (Date.parse(receipt.completedAt ?? '') - Date.parse(receipt.requestedAt ?? '')) / 1000
      break
    }
    await new Promise((resolve) => setTimeout(resolve, 10))
  }

  const folder = `direct-${newId()}`
  await putObjects(
    storage,
    Array.from({ length: BUILDS }, () => `${folder}/${newId()}`),
  )
  const started = performance.now()
  await rm(join(root, folder), { recursive: true, force: true })
  const direct = (performance.now() - started) / 1000
  console.log(
    `${values.dialect}: purge of ${BUILDS} objects ${purge.toFixed(2)} s, rm -r ${direct.toFixed(2)} s, ` +
      `${Math.round((direct / purge) * 100)} % (load average ${loadavg()[0]?.toFixed(1)})`,
  )
} finally {
  await server.stop()
  await storage.close()
  await store.close()
  await rm(scratch, { recursive: true, force: true })
}
