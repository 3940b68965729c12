import { renameSync } from 'node:fs'
import { connect } from 'node:net'
import { PassThrough } from 'node:stream'
import { beforeAll, describe, expect, it } from 'vitest'
import type { TestApp } from './support/app.js'
import { BACKENDS, unavailable, useBackends, type Backend } from './support/backends.js'
import { as, createOrg, createUser, type TestOrg, type TestUser } from './support/factories.js'
import { removeObjects } from '../src/deletion/objects.js'
import { purgeNow, rowsOf } from './support/purge.js'
import { waitFor } from './support/processes.js'
import { multipart, objectsUnder, postForm, randomFile, readObject, sha256 } from './support/uploads.js'

// What leaves storage when a workspace is deleted: everything under its prefix, nothing of anyone else's — and
// only then is the receipt completed; storage that is down holds the receipt at `purging`, saying why.

const backends = useBackends()

describe.each(BACKENDS)('deleting an organization on %s storage', (backend: Backend) => {
  describe.skipIf(unavailable(backend))('', () => {
    let t: TestApp
    let owner: TestUser
    beforeAll(async () => {
      t = await backends.app(backend)
      owner = await createUser(t, 'owner')
    })

    async function orgWithBuilds(apps: number, builds: number): Promise<{ org: TestOrg; bytes: number }> {
      const org = await createOrg(t, owner)
      let bytes = 0
      for (let a = 0; a < apps; a++) {
        const app = (await as(t, owner).post(`/v1/organizations/${org.id}/apps`, { name: `App ${a}` })).body
          .data
        for (let b = 0; b < builds; b++) {
          const file = randomFile(1000 + a * 100 + b)
          const url = `/v1/organizations/${org.id}/apps/${app.id}/builds`
          expect((await postForm(t, url, `Bearer ${owner.token}`, [['file', file, 'b.ipa']])).status).toBe(
            200,
          )
          bytes += file.length
        }
      }
      return { org, bytes }
    }

    /** Every object under the prefix with a digest of its bytes. */
    async function snapshot(prefix: string): Promise<Map<string, string>> {
      const digests = new Map<string, string>()
      for (const key of (await objectsUnder(t.storage, prefix)).keys()) {
        const bytes = await readObject(t.storage, key)
        digests.set(key, bytes ? sha256(bytes) : 'missing')
      }
      return digests
    }

    it('removes everything under its prefix, leaves other workspaces byte-identical, and counts builds and bytes', async () => {
      const { org, bytes } = await orgWithBuilds(2, 3)
      const neighbour = await orgWithBuilds(1, 2)
      const before = await snapshot(`${neighbour.org.id}/`)
      expect(before.size).toBe(2)
      const preview = (await as(t, owner).get(`/v1/organizations/${org.id}/deletion-preview`)).body.data
      expect(preview.counts).toMatchObject({ builds: 6, bytes })

      const { deletionId } = (await as(t, owner).delete(`/v1/organizations/${org.id}`)).body.data
      await purgeNow(t.db)

      expect(await objectsUnder(t.storage, `${org.id}/`)).toEqual(new Map())
      expect(await snapshot(`${neighbour.org.id}/`)).toEqual(before)
      const receipt = (await as(t, owner).get(`/v1/deletions/${deletionId}`)).body.data
      expect(receipt).toMatchObject({
        status: 'completed',
        error: null,
        counts: { builds: 6, bytes, apps: 2 },
      })
      const left = await rowsOf(t.db, org.id)
      expect(left).toMatchObject({ builds: 0, app_tokens: 0, deletions: 1, organizations: 0 })
      expect(
        await t.db.selectFrom('object_removals').select('id').where('organization_id', '=', org.id).execute(),
      ).toEqual([])
    })

    it('while storage is unreachable: stays purging with a reason; completes once it is back', async () => {
      const { org, bytes } = await orgWithBuilds(1, 2)
      const { deletionId } = (await as(t, owner).delete(`/v1/organizations/${org.id}`)).body.data
      const restore = await takeStorageAway(backend, t)
      try {
        await purgeNow(t.db)
        const waiting = (await as(t, owner).get(`/v1/deletions/${deletionId}`)).body.data
        expect(waiting.status).toBe('purging')
        expect(waiting.error).toMatch(/^removing .* from storage failed \(STORAGE_UNAVAILABLE\); retrying$/)
        expect(waiting.completedAt).toBeNull()
      } finally {
        await restore()
      }
      // The objects are all still there: nothing was lost track of while storage was away.
      expect((await objectsUnder(t.storage, `${org.id}/`)).size).toBe(2)
      await waitFor(async () => {
        await purgeNow(t.db)
        return (await as(t, owner).get(`/v1/deletions/${deletionId}`)).body.data.status === 'completed'
      }, 15_000)
      expect(await objectsUnder(t.storage, `${org.id}/`)).toEqual(new Map())
      const receipt = (await as(t, owner).get(`/v1/deletions/${deletionId}`)).body.data
      expect(receipt).toMatchObject({ status: 'completed', error: null, counts: { builds: 2, bytes } })
    })

    it('an upload racing the deletion leaves no object behind (25 trials, judged by commit order)', async () => {
      const outcomes = { committed: 0, refused: 0 }
      for (let trial = 0; trial < 25; trial++) {
        const org = await createOrg(t, owner)
        const app = (await as(t, owner).post(`/v1/organizations/${org.id}/apps`, { name: 'Racing' })).body
          .data
        const { body, contentType } = await multipart([['file', randomFile(64 * 1024), 'race.apk']])
        // The body arrives in two halves. The DELETE lands before the upload has begun (phase 0), while its
        // bytes stream (phase 1: its removal is queued, half the file sent), or around its commit (phase 2).
        const stream = new PassThrough()
        const uploading = t.app.inject({
          method: 'POST',
          url: `/v1/organizations/${org.id}/apps/${app.id}/builds`,
          headers: { authorization: `Bearer ${owner.token}`, 'content-type': contentType },
          payload: stream,
        })
        stream.write(body.subarray(0, body.length >> 1))
        const rest = body.subarray(body.length >> 1)
        const phase = trial % 3
        if (phase === 1) {
          await waitFor(
            async () =>
              (
                await t.db
                  .selectFrom('object_removals')
                  .select('id')
                  .where('organization_id', '=', org.id)
                  .where('kind', '=', 'upload')
                  .execute()
              ).length === 1,
            10_000,
          )
        }
        if (phase === 2) stream.end(rest)
        await new Promise((resolve) => setTimeout(resolve, phase === 2 ? (trial * 17) % 150 : 0))
        const deleting = as(t, owner).delete(`/v1/organizations/${org.id}`)
        if (phase !== 2) setTimeout(() => stream.end(rest), 5)
        const [uploaded, deleted] = await Promise.all([uploading, deleting])
        expect(deleted.status).toBe(200)
        expect([200, 404], uploaded.body).toContain(uploaded.statusCode)
        await purgeNow(t.db)
        expect(await objectsUnder(t.storage, `${org.id}/`), `trial ${trial}`).toEqual(new Map())
        const receipt = (await as(t, owner).get(`/v1/deletions/${deleted.body.data.deletionId}`)).body.data
        expect(receipt.status).toBe('completed')
        // A 200 means the build committed before the DELETE, so the purge removed (and counted) it.
        expect(receipt.counts.builds, `trial ${trial}`).toBe(uploaded.statusCode === 200 ? 1 : 0)
        outcomes[uploaded.statusCode === 200 ? 'committed' : 'refused']++
      }
      expect(outcomes.refused).toBeGreaterThan(0)
      expect(outcomes.committed + outcomes.refused).toBe(25)
    }, 180_000)

    it('an upload the client abandons half-way leaves no object and nothing queued', async () => {
      const org = await createOrg(t, owner)
      const app = (await as(t, owner).post(`/v1/organizations/${org.id}/apps`, { name: 'Dropped' })).body.data
      const address = await t.app.listen({ port: 0, host: '127.0.0.1' })
      const { port } = new URL(address)
      const { body, contentType } = await multipart([['file', randomFile(2 * 1024 * 1024), 'half.apk']])
      const socket = connect(Number(port), '127.0.0.1')
      await new Promise((resolve) => socket.once('connect', resolve))
      socket.write(
        `POST /v1/organizations/${org.id}/apps/${app.id}/builds HTTP/1.1\r\nhost: 127.0.0.1\r\n` +
          `authorization: Bearer ${owner.token}\r\ncontent-type: ${contentType}\r\ncontent-length: ${body.length}\r\n\r\n`,
      )
      socket.write(body.subarray(0, body.length >> 1))
      // The upload has begun (its removal is queued) before the client goes away.
      await waitFor(
        async () =>
          (
            await t.db
              .selectFrom('object_removals')
              .select('id')
              .where('organization_id', '=', org.id)
              .execute()
          ).length === 1,
        10_000,
      )
      socket.destroy()
      await waitFor(
        async () =>
          (
            await t.db
              .selectFrom('object_removals')
              .select('id')
              .where('organization_id', '=', org.id)
              .execute()
          ).length === 0,
        10_000,
      )
      expect(await objectsUnder(t.storage, `${org.id}/`)).toEqual(new Map())
      expect(
        (await as(t, owner).get(`/v1/organizations/${org.id}/apps/${app.id}/builds`)).body.data.totalDocs,
      ).toBe(0)
    })

    it("removes many builds' objects in one step, and retries them together while storage is down", async () => {
      const { org } = await orgWithBuilds(1, 12)
      const neighbour = await orgWithBuilds(1, 1)
      const before = await snapshot(`${neighbour.org.id}/`)
      const builds = await t.db
        .selectFrom('builds')
        .select(['id', 'app_id'])
        .where('organization_id', '=', org.id)
        .execute()
      for (const build of builds) {
        const url = `/v1/organizations/${org.id}/apps/${build.app_id}/builds/${build.id}`
        expect((await as(t, owner).delete(url)).status).toBe(200)
      }
      const queued = () =>
        t.db
          .selectFrom('object_removals')
          .select(['error', 'lease_owner', 'attempts'])
          .where('organization_id', '=', org.id)
          .execute()
      expect(await queued()).toHaveLength(12)
      expect((await objectsUnder(t.storage, `${org.id}/`)).size).toBe(12)
      const run = (now: number) => ({
        owner: 'batch-test',
        leaseMs: 30_000,
        clock: { now: () => now },
        storage: t.storage,
        batch: 1000,
        logger: { debug() {}, info() {}, warn() {}, error() {} },
        shouldStop: () => false,
      })

      const bringBack = await takeStorageAway(backend, t)
      try {
        expect(await removeObjects(t.db, run(Date.now()))).toBe(true)
      } finally {
        await bringBack()
      }
      // All twelve were claimed and given back together, each saying why and counting the attempt.
      const failed = await queued()
      expect(failed).toHaveLength(12)
      for (const row of failed) {
        expect(row.lease_owner).toBeNull()
        expect(row.error).toMatch(/storage/)
        expect(Number(row.attempts)).toBe(1)
      }
      expect((await objectsUnder(t.storage, `${org.id}/`)).size).toBe(12)

      // Once due again, one step (one claim) removes every one of them.
      expect(await removeObjects(t.db, run(Date.now() + 3_600_000))).toBe(true)
      expect(await queued()).toEqual([])
      expect(await objectsUnder(t.storage, `${org.id}/`)).toEqual(new Map())
      expect(await snapshot(`${neighbour.org.id}/`)).toEqual(before)
    })
  })
})

/** Makes the app's storage unreachable; resolves to a function that brings it back as it was. */
async function takeStorageAway(backend: Backend, t: TestApp): Promise<() => Promise<void>> {
  if (backend === 's3') {
    const server = backends.s3
    if (!server) throw new Error('no S3 server')
    await server.stop()
    return () => server.start()
  }
  const settings = t.storage.settings
  if (settings.kind !== 'file') throw new Error('not a filesystem storage')
  // An unmounted volume: the folder is not there. The purge must not take that for "empty".
  renameSync(settings.root, `${settings.root}.away`)
  return async () => renameSync(`${settings.root}.away`, settings.root)
}
