import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config.js'
import { openDatabase, type DatabaseHandle } from '../src/db/connect.js'
import { newId, nowIso } from '../src/db/ids.js'
import { migrateToLatest } from '../src/db/migrate.js'
import { seedOrganization } from '../src/seed/seed.js'
import { buildKey } from '../src/storage/keys.js'
import { type ObjectStorage } from '../src/storage/storage.js'
import { openStorage, storageSettings } from '../src/storage/open.js'
import { createToken } from '../src/tokens/service.js'
import { createTestDatabase, type TestDatabase } from './support/app.js'
import { BACKENDS, unavailable, useBackends, type Backend } from './support/backends.js'
import { kill, startServer, waitFor } from './support/processes.js'
import { objectsUnder, randomFile } from './support/uploads.js'

// A real server, killed for real while it removes a workspace's 2,000 builds from storage: the purge finishes after
// a restart, and storage holds nothing under the workspace's prefix. The builds are written straight into storage
// and the table (uploading them one by one would only slow the test down).

const BUILDS = 2_000
const backends = useBackends()

let testDb: TestDatabase
let database: DatabaseHandle
beforeAll(async () => {
  testDb = await createTestDatabase()
  database = openDatabase(testDb.url)
  await migrateToLatest(database.db)
})
afterAll(async () => {
  await database.close()
  await testDb.drop()
})

async function storageEnv(backend: Backend): Promise<{ env: Record<string, string>; cleanup(): void }> {
  if (backend === 's3') return { env: await backends.env('s3'), cleanup: () => undefined }
  const dir = mkdtempSync(join(tmpdir(), 'orgspace-crash-storage-'))
  return { env: { STORAGE_URL: `file:${dir}` }, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** An organization with one app and BUILDS builds; returns its id, a token of its owner and the bytes stored. */
async function organizationWithBuilds(storage: ObjectStorage) {
  const seeded = await seedOrganization(database.db, { owner: `crash-${newId()}@example.test`, apps: 1 })
  const { token } = await createToken(database.db, seeded.ownerId, { name: 'crash' })
  const app = await database.db
    .selectFrom('apps')
    .select('id')
    .where('organization_id', '=', seeded.organizationId)
    .executeTakeFirstOrThrow()
  const rows = Array.from({ length: BUILDS }, (_, i) => ({
    organization_id: seeded.organizationId,
    id: newId(),
    app_id: app.id,
    file_name: `build-${i}.apk`,
    content_type: 'application/octet-stream',
    size: 256 + (i % 7),
    sha256: '0'.repeat(64),
    version_name: null,
    version_code: null,
    changelog: null,
    tags: '[]',
    deployer: null,
    uploaded_by: seeded.ownerId,
    app_token_id: null,
    created_at: nowIso(),
  }))
  for (let i = 0; i < rows.length; i += 16) {
    await Promise.all(
      rows
        .slice(i, i + 16)
        .map((row) =>
          storage.put(
            buildKey(row.organization_id, row.app_id, row.id),
            Readable.from([randomFile(row.size)]),
            row.content_type,
          ),
        ),
    )
  }
  for (let i = 0; i < rows.length; i += 200)
    await database.db
      .insertInto('builds')
      .values(rows.slice(i, i + 200))
      .execute()
  const bytes = rows.reduce((sum, row) => sum + row.size, 0)
  await database.db
    .updateTable('organizations')
    .set({ builds_bytes: bytes })
    .where('id', '=', seeded.organizationId)
    .execute()
  return { organizationId: seeded.organizationId, token, bytes }
}

async function objectsRemoved(organizationId: string): Promise<number> {
  const row = await database.db
    .selectFrom('object_removals')
    .select('removed')
    .where('organization_id', '=', organizationId)
    .where('kind', '=', 'prefix')
    .executeTakeFirst()
  return Number(row?.removed ?? 0)
}

/** Objects under the prefix. s3rver can fail a listing that overlaps a delete still running: ask again. */
async function objectsLeft(storage: ObjectStorage, organizationId: string): Promise<number> {
  return waitFor(
    () =>
      objectsUnder(storage, `${organizationId}/`).then(
        (objects) => objects.size + 1,
        () => undefined,
      ),
    30_000,
  ).then((found) => found - 1)
}

const receipt = (deletionId: string) =>
  database.db.selectFrom('deletions').selectAll().where('id', '=', deletionId).executeTakeFirstOrThrow()

describe.each(BACKENDS)('a purge of builds interrupted by SIGKILL, on %s storage', (backend) => {
  it.skipIf(unavailable(backend))(
    'finishes after a restart; nothing is left under the prefix',
    async () => {
      const { env: storageVars, cleanup } = await storageEnv(backend)
      const storage = await openStorage(storageSettings(loadConfig(storageVars)))
      try {
        const { organizationId, token, bytes } = await organizationWithBuilds(storage)
        expect(await objectsLeft(storage, organizationId)).toBe(BUILDS)
        // Small object batches, so the kill lands between two of them; a short lease, so the restart takes over.
        const env = {
          ...storageVars,
          DATABASE_URL: testDb.url,
          PURGE_OBJECT_BATCH: '5',
          PURGE_POLL_MS: '100',
          PURGE_LEASE_MS: '1000',
        }
        const first = await startServer(env)
        const answer = await fetch(`${first.url}/v1/organizations/${organizationId}`, {
          method: 'DELETE',
          headers: { authorization: `Bearer ${token}` },
        })
        expect(answer.status).toBe(200)
        const { deletionId } = ((await answer.json()) as { data: { deletionId: string } }).data
        await waitFor(async () => (await objectsRemoved(organizationId)) >= 200, 60_000, first.output)
        await kill(first, 'SIGKILL')

        const left = await objectsLeft(storage, organizationId)
        expect(left).toBeGreaterThan(0)
        expect(left).toBeLessThan(BUILDS)
        expect((await receipt(deletionId)).status).toBe('purging')

        // Larger batches now (not 1000: s3rver lists a page by opening all of its objects' files at once).
        const second = await startServer({ ...env, PURGE_OBJECT_BATCH: '200' })
        try {
          await waitFor(
            async () => (await receipt(deletionId)).status === 'completed',
            120_000,
            second.output,
          )
        } finally {
          await kill(second, 'SIGTERM')
        }
        expect(await objectsUnder(storage, `${organizationId}/`)).toEqual(new Map())
        const counts = JSON.parse((await receipt(deletionId)).counts) as Record<string, number>
        expect(counts).toMatchObject({ builds: BUILDS, bytes, apps: 1 })
        expect(
          await database.db
            .selectFrom('object_removals')
            .select('id')
            .where('organization_id', '=', organizationId)
            .execute(),
        ).toEqual([])
      } finally {
        await storage.close()
        cleanup()
      }
    },
    400_000,
  )
})
