import { mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { describe, expect, it, vi } from 'vitest'
import type { TestApp } from './support/app.js'
import { BACKENDS, unavailable, useBackends, type Backend } from './support/backends.js'
import { as } from './support/factories.js'
import { deploymentEnv, orgspace } from './support/orgspace-cli.js'
import { kill, startNode, startServer, waitFor, type Child } from './support/processes.js'
import { purgeNow } from './support/purge.js'
import { allDownload, workspaceWithBuilds, type Workspace } from './support/sealed.js'
import { objectsUnder, readObject } from './support/uploads.js'

// Crypto-erasure (docs/api.md §13): a deleted workspace's data key is destroyed before its objects are removed, so a
// copy of them taken before the deletion (a bucket version, a replica, a backup) is noise afterwards — for the
// operator's `storage decrypt` and for the API alike — while the neighbour's objects still decrypt. A purge killed
// between the two steps finishes after a restart.

const backends = useBackends()
// Several commands run as child processes per test: seconds each on a busy machine.
vi.setConfig({ testTimeout: 120_000 })

async function deleteOrganization(t: TestApp, ws: Workspace): Promise<string> {
  const reply = await as(t, ws.owner).delete(`/v1/organizations/${ws.org.id}`)
  expect(reply.status).toBe(200)
  return reply.body.data.deletionId as string
}

const receipt = (t: TestApp, deletionId: string) =>
  t.db.selectFrom('deletions').selectAll().where('id', '=', deletionId).executeTakeFirstOrThrow()

async function decrypt(
  t: TestApp,
  key: string,
): Promise<{ code: number | null; stderr: string; bytes?: Buffer }> {
  const dir = mkdtempSync(join(tmpdir(), 'orgspace-erasure-'))
  try {
    const out = join(dir, 'object')
    const run = await orgspace(t, ['storage', 'decrypt', key, '--out', out])
    return { code: run.code, stderr: run.stderr, ...(run.code === 0 ? { bytes: readFileSync(out) } : {}) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** `orgspace worker`, once its storage is open and it looks for work. */
async function startWorker(env: Record<string, string>): Promise<Child> {
  const child = startNode('src/cli.ts', ['worker'], { LOG_LEVEL: 'info', ...env })
  await waitFor(
    () => child.output().includes('purge worker started'),
    60_000,
    () => child.output(),
  )
  return child
}

const DESTROYED = (key: string) => `orgspace: cannot decrypt ${key}: the organization's key is destroyed\n`

describe.each(BACKENDS)('crypto-erasure on %s storage', (backend: Backend) => {
  it.skipIf(unavailable(backend))(
    "a copy taken before the deletion cannot be decrypted after it; the neighbour's still decrypts",
    async () => {
      const t = await backends.app(backend)
      const doomed = await workspaceWithBuilds(t, 2)
      const neighbour = await workspaceWithBuilds(t, 1)
      const [first] = doomed.builds
      const [kept] = neighbour.builds
      if (!first || !kept) throw new Error('no builds')
      const copy = (await readObject(t.storage, first.key)) ?? Buffer.alloc(0)
      expect((await decrypt(t, first.key)).bytes?.equals(first.file)).toBe(true)

      const deletionId = await deleteOrganization(t, doomed)
      await purgeNow(t.db)
      const done = await receipt(t, deletionId)
      expect(done.status).toBe('completed')
      expect(done.data_key_destroyed_at).not.toBeNull()
      expect(JSON.parse(done.counts)).toMatchObject({ builds: 2, dataKeys: 1 })
      expect(await objectsUnder(t.storage, `${doomed.org.id}/`)).toEqual(new Map())

      // The copy comes back (from a bucket version, a replica, a backup): nothing can read it.
      await t.storage.put(first.key, Readable.from([copy]), 'application/octet-stream')
      const refused = await decrypt(t, first.key)
      expect(refused.code).toBe(1)
      expect(refused.stderr).toBe(DESTROYED(first.key))
      expect((await as(t, doomed.owner).get(first.url)).body.error.code).toBe(3001)
      await expect(t.app.storage.get(first.key)).rejects.toThrow(/the organization's key is destroyed/)

      const neighbours = await decrypt(t, kept.key)
      expect(neighbours.code, neighbours.stderr).toBe(0)
      expect(neighbours.bytes?.equals(kept.file)).toBe(true)
      expect(await allDownload(t, [neighbour])).toBe(true)
      await t.storage.remove([first.key])
    },
  )

  it.skipIf(unavailable(backend))(
    'a purge killed between destroying the key and removing the objects finishes after a restart',
    async () => {
      const t = await backends.app(backend)
      const doomed = await workspaceWithBuilds(t, 3)
      const neighbour = await workspaceWithBuilds(t, 1)

      // The first process's storage fails under it once it has started (its folder unmounted, or an S3 endpoint
      // nobody answers): its purge destroys the key, then cannot remove a single object. It is killed in that state.
      const env = { ...deploymentEnv(t), PURGE_POLL_MS: '100', PURGE_LEASE_MS: '1000' }
      const root = t.storage.settings.kind === 'file' ? t.storage.settings.root : ''
      const first = await startWorker(backend === 's3' ? { ...env, S3_ENDPOINT: 'http://127.0.0.1:9' } : env)
      if (backend === 'file') renameSync(root, `${root}.away`)
      const deletionId = await deleteOrganization(t, doomed)
      try {
        await waitFor(
          async () => {
            const row = await receipt(t, deletionId)
            return row.data_key_destroyed_at !== null && row.error !== null
          },
          60_000,
          first.output,
        )
      } finally {
        await kill(first, 'SIGKILL')
        if (backend === 'file') renameSync(`${root}.away`, root)
      }
      expect((await receipt(t, deletionId)).status).toBe('purging')
      expect((await objectsUnder(t.storage, `${doomed.org.id}/`)).size).toBe(3)
      const [left] = doomed.builds
      expect((await decrypt(t, left?.key ?? '')).stderr).toBe(DESTROYED(left?.key ?? ''))

      const second = await startServer(env)
      try {
        await waitFor(
          async () => (await receipt(t, deletionId)).status === 'completed',
          60_000,
          second.output,
        )
      } finally {
        await kill(second, 'SIGTERM')
      }
      expect(await objectsUnder(t.storage, `${doomed.org.id}/`)).toEqual(new Map())
      expect(JSON.parse((await receipt(t, deletionId)).counts)).toMatchObject({ builds: 3, dataKeys: 1 })
      expect(await allDownload(t, [neighbour])).toBe(true)
    },
    180_000,
  )
})
