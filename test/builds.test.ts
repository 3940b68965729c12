import { beforeAll, describe, expect, it } from 'vitest'
import type { TestApp } from './support/app.js'
import { BACKENDS, unavailable, useBackends } from './support/backends.js'
import { addMember, as, createOrg, createUser, expectValidation, type TestUser } from './support/factories.js'
import { purgeNow } from './support/purge.js'
import { objectsUnder, postForm, randomFile, readObject, sha256, storedSize } from './support/uploads.js'

// The builds API on each storage backend: bytes in and out unchanged, limits and failures that keep nothing,
// and the object leaving storage with its build or app.

const MAX = 9 * 1024 * 1024 + 17
const backends = useBackends()

describe.each(BACKENDS)('builds on %s storage', (backend) => {
  describe.skipIf(unavailable(backend))('', () => {
    let t: TestApp
    let owner: TestUser
    beforeAll(async () => {
      t = await backends.app(backend, { BUILD_MAX_BYTES: String(MAX) })
      owner = await createUser(t, 'owner')
    })

    async function newApp(user = owner) {
      const org = await createOrg(t, user)
      const app = (await as(t, user).post(`/v1/organizations/${org.id}/apps`, { name: 'Field App' })).body
        .data
      return { org, app, base: `/v1/organizations/${org.id}/apps/${app.id}/builds` }
    }

    const upload = (url: string, user: TestUser, bytes: Buffer, extra: [string, string][] = []) =>
      postForm(t, url, `Bearer ${user.token}`, [
        ...extra,
        ['file', bytes, 'field-app.apk', 'application/vnd.android.package-archive'],
      ])

    it('keeps the bytes as sent: size, SHA-256, download, ranges, ETag', async () => {
      const { org, app, base } = await newApp()
      // Larger than one multipart part of the S3 backend, so its multipart upload is what is tested.
      const bytes = randomFile(MAX)
      const reply = await upload(base, owner, bytes, [
        ['versionName', '1.4.0'],
        ['versionCode', '140'],
        ['changelog', 'Faster sync'],
      ])
      expect(reply.status, JSON.stringify(reply.body)).toBe(200)
      const build = reply.body.data
      expect(build).toMatchObject({
        applicationId: app.id,
        fileName: 'field-app.apk',
        contentType: 'application/vnd.android.package-archive',
        size: bytes.length,
        sha256: sha256(bytes),
        versionName: '1.4.0',
        versionCode: '140',
        changelog: 'Faster sync',
        tags: [],
        deployer: null,
        uploadedBy: { id: owner.id, email: owner.email },
      })
      expect((await as(t, owner).get(`${base}/${build.id}`)).body.data).toEqual(build)
      expect((await as(t, owner).get(base)).body.data).toMatchObject({ items: [build], totalDocs: 1 })
      // The object sits under the organization's prefix, and nothing else does.
      expect(await objectsUnder(t.storage, `${org.id}/`)).toEqual(
        new Map([[`${org.id}/${app.id}/${build.id}`, storedSize(bytes.length)]]),
      )

      const download = (headers: Record<string, string> = {}) =>
        t.app.inject({
          method: 'GET',
          url: `${base}/${build.id}/download`,
          headers: { authorization: `Bearer ${owner.token}`, ...headers },
        })
      const whole = await download()
      expect(whole.statusCode).toBe(200)
      expect(whole.rawPayload.equals(bytes)).toBe(true)
      expect(whole.headers).toMatchObject({
        'content-length': String(bytes.length),
        etag: `"${sha256(bytes)}"`,
        'accept-ranges': 'bytes',
        'content-type': 'application/vnd.android.package-archive',
      })
      expect(whole.headers['content-disposition']).toMatch(/^attachment; filename="field-app\.apk"/)

      const middle = await download({ range: 'bytes=1000-1999' })
      expect(middle.statusCode).toBe(206)
      expect(middle.headers['content-range']).toBe(`bytes 1000-1999/${bytes.length}`)
      expect(middle.rawPayload.equals(bytes.subarray(1000, 2000))).toBe(true)
      const tail = await download({ range: 'bytes=-10' })
      expect(tail.rawPayload.equals(bytes.subarray(bytes.length - 10))).toBe(true)
      const rest = await download({ range: `bytes=${bytes.length - 5}-` })
      expect(rest.rawPayload.equals(bytes.subarray(bytes.length - 5))).toBe(true)
      const beyond = await download({ range: `bytes=${bytes.length}-` })
      expect(beyond.statusCode).toBe(416)
      expect(beyond.headers['content-range']).toBe(`bytes */${bytes.length}`)
      expect(JSON.parse(beyond.body)).toMatchObject({ status: false, error: { code: 3004 } })
      // If-Range naming another version: the whole file, not a slice of something else.
      const stale = await download({ range: 'bytes=0-9', 'if-range': '"0000"' })
      expect(stale.statusCode).toBe(200)
      expect(stale.rawPayload.length).toBe(bytes.length)
      const cached = await download({ 'if-none-match': `"${sha256(bytes)}"` })
      expect(cached.statusCode).toBe(304)
      expect(cached.rawPayload.length).toBe(0)
    })

    it('refuses a build over BUILD_MAX_BYTES with 413 / 3002 and keeps nothing of it', async () => {
      const { org, base } = await newApp()
      const reply = await upload(base, owner, randomFile(MAX + 1))
      expect(reply.status).toBe(413)
      expect(reply.body).toEqual({ status: false, error: { code: 3002, message: 'Payload Too Large' } })
      expect(await objectsUnder(t.storage, `${org.id}/`)).toEqual(new Map())
      expect((await as(t, owner).get(base)).body.data.totalDocs).toBe(0)
      // Nor is anything left queued for an upload that will never commit.
      const queued = await t.db
        .selectFrom('object_removals')
        .select('id')
        .where('organization_id', '=', org.id)
        .execute()
      expect(queued).toEqual([])
      // Exactly the limit is accepted.
      expect((await upload(base, owner, randomFile(MAX))).status).toBe(200)
    })

    it('refuses bad forms with 3000 naming the part, before or after the file, keeping nothing', async () => {
      const { org, base } = await newApp()
      const auth = `Bearer ${owner.token}`
      const file = randomFile(2048)
      expectValidation(await postForm(t, base, auth, [['versionName', '1.0']]), '/body/file')
      expectValidation(
        await postForm(t, base, auth, [
          ['colour', 'red'],
          ['file', file, 'a.apk'],
        ]),
        '/body/colour',
      )
      expectValidation(
        await postForm(t, base, auth, [
          ['file', file, 'a.apk'],
          ['colour', 'red'],
        ]),
        '/body/colour',
      )
      expectValidation(
        await postForm(t, base, auth, [
          ['file', file, 'a.apk'],
          ['versionName', 'v'.repeat(129)],
        ]),
        '/body/versionName',
      )
      expectValidation(
        await postForm(t, base, auth, [
          ['file', file, 'a.apk'],
          ['file', file, 'b.apk'],
        ]),
        '/body/file',
      )
      expectValidation(
        await postForm(t, base, auth, [
          ['notes', file, 'notes.txt'],
          ['file', file, 'a.apk'],
        ]),
        '/body/notes',
      )
      const json = await as(t, owner).post(base, { versionName: '1.0' })
      expect(json.status).toBe(415)
      expect(json.body.error.code).toBe(3003)
      expect(await objectsUnder(t.storage, `${org.id}/`)).toEqual(new Map())
      expect((await as(t, owner).get(base)).body.data.totalDocs).toBe(0)
    })

    it('lets every role read and download, and only owner, admin and editor upload and delete', async () => {
      const { org, app, base } = await newApp()
      const members = {
        admin: await addMember(t, owner, org, 'admin'),
        editor: await addMember(t, owner, org, 'editor'),
        viewer: await addMember(t, owner, org, 'viewer'),
      }
      const ids: string[] = []
      for (const user of [owner, members.admin, members.editor]) {
        const reply = await upload(base, user, randomFile(100))
        expect(reply.status).toBe(200)
        ids.push(reply.body.data.id)
      }
      const refused = await upload(base, members.viewer, randomFile(100))
      expect(refused.status).toBe(403)
      expect(refused.body.error.code).toBe(4003)
      const viewer = as(t, members.viewer)
      expect((await viewer.get(base)).body.data.totalDocs).toBe(3)
      expect((await viewer.get(`${base}/${ids[0]}`)).status).toBe(200)
      const download = await t.app.inject({
        url: `${base}/${ids[0]}/download`,
        headers: { authorization: `Bearer ${members.viewer.token}` },
      })
      expect(download.statusCode).toBe(200)
      expect((await viewer.delete(`${base}/${ids[0]}`)).status).toBe(403)
      expect((await as(t, members.editor).delete(`${base}/${ids[0]}`)).status).toBe(200)
      // The viewer's refused upload left nothing; the deleted build's object goes with the next purge step.
      await purgeNow(t.db)
      expect([...(await objectsUnder(t.storage, `${org.id}/`)).keys()].sort()).toEqual(
        ids
          .slice(1)
          .map((id) => `${org.id}/${app.id}/${id}`)
          .sort(),
      )
    })

    it('deletes a build: the row at once, the object through the queue; the counters follow', async () => {
      const { org, app, base } = await newApp()
      const bytes = randomFile(5000)
      const build = (await upload(base, owner, bytes)).body.data
      const preview = async () =>
        (await as(t, owner).get(`/v1/organizations/${org.id}/deletion-preview`)).body.data.counts
      expect(await preview()).toMatchObject({ builds: 1, bytes: 5000 })
      expect((await as(t, owner).delete(`${base}/${build.id}`)).body).toEqual({
        status: true,
        data: { delete: 'OK' },
      })
      expect((await as(t, owner).get(`${base}/${build.id}`)).status).toBe(404)
      expect((await as(t, owner).get(`${base}/${build.id}/download`)).status).toBe(404)
      expect((await as(t, owner).delete(`${base}/${build.id}`)).status).toBe(404)
      expect(await preview()).toMatchObject({ builds: 0, bytes: 0 })
      await purgeNow(t.db)
      expect(await readObject(t.storage, `${org.id}/${app.id}/${build.id}`)).toBeNull()
    })

    it("deletes an app's builds and tokens with it, objects included", async () => {
      const { org, app, base } = await newApp()
      const other = (await as(t, owner).post(`/v1/organizations/${org.id}/apps`, { name: 'Stays' })).body.data
      const otherBase = `/v1/organizations/${org.id}/apps/${other.id}/builds`
      for (let i = 0; i < 3; i++) expect((await upload(base, owner, randomFile(300))).status).toBe(200)
      const kept = (await upload(otherBase, owner, randomFile(700))).body.data
      expect(
        (await as(t, owner).post(`/v1/organizations/${org.id}/apps/${app.id}/tokens`, { name: 'ci' })).status,
      ).toBe(200)
      expect((await as(t, owner).delete(`/v1/organizations/${org.id}/apps/${app.id}`)).status).toBe(200)
      await purgeNow(t.db)
      expect(await objectsUnder(t.storage, `${org.id}/`)).toEqual(
        new Map([[`${org.id}/${other.id}/${kept.id}`, storedSize(700)]]),
      )
      const left = async (table: 'builds' | 'app_tokens') =>
        (await t.db.selectFrom(table).select('id').where('app_id', '=', app.id).execute()).length
      expect(await left('builds')).toBe(0)
      expect(await left('app_tokens')).toBe(0)
      const counts = (await as(t, owner).get(`/v1/organizations/${org.id}/deletion-preview`)).body.data.counts
      expect(counts).toMatchObject({ builds: 1, bytes: 700, appTokens: 0 })
    })
  })
})
