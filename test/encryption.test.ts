import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { gunzipSync } from 'node:zlib'
import { randomBytes } from 'node:crypto'
import { describe, expect, it, vi } from 'vitest'
import type { TestApp } from './support/app.js'
import { BACKENDS, unavailable, useBackends, type Backend } from './support/backends.js'
import { as, createOrg, createUser, type TestOrg, type TestUser } from './support/factories.js'
import { orgspace } from './support/orgspace-cli.js'
import { waitFor } from './support/processes.js'
import { markedFile, PLAINTEXT_MARKER, SEALED_MAGIC } from './support/sealed.js'
import { objectsUnder, postForm, readObject, sha256, storedSize } from './support/uploads.js'

// Builds and export archives at rest (docs/api.md §13): stored encrypted, served as uploaded — whole or by ranges at
// the segment edges — and refused, never served, once altered or cut. Every check reads storage as an outsider
// would (the bucket or folder itself), and the API and CLI as a user and an operator do.

const backends = useBackends()
// Several commands run as child processes per test: seconds each on a busy machine.
vi.setConfig({ testTimeout: 120_000 })
const SEGMENT = 65536
interface Uploaded {
  org: TestOrg
  owner: TestUser
  base: string
  build: { id: string; size: number; sha256: string }
  key: string
  file: Buffer
}

async function uploadBuild(t: TestApp, file: Buffer): Promise<Uploaded> {
  const owner = await createUser(t, 'owner')
  const org = await createOrg(t, owner)
  const app = (await as(t, owner).post(`/v1/organizations/${org.id}/apps`, { name: 'Sealed' })).body.data
  const base = `/v1/organizations/${org.id}/apps/${app.id}/builds`
  const reply = await postForm(t, base, `Bearer ${owner.token}`, [['file', file, 'app.apk']])
  expect(reply.status, JSON.stringify(reply.body)).toBe(200)
  const build = reply.body.data
  return { org, owner, base, build, key: `${org.id}/${app.id}/${build.id}`, file }
}

function download(t: TestApp, up: Uploaded, headers: Record<string, string> = {}) {
  return t.app.inject({
    method: 'GET',
    url: `${up.base}/${up.build.id}/download`,
    headers: { authorization: `Bearer ${up.owner.token}`, ...headers },
  })
}

/** Replaces an object's stored bytes, as someone with access to the bucket could. */
async function overwrite(t: TestApp, key: string, bytes: Buffer): Promise<void> {
  await t.storage.put(key, Readable.from([bytes]), 'application/octet-stream')
}

describe.each(BACKENDS)('encryption at rest on %s storage', (backend: Backend) => {
  let t: TestApp
  const app = async () => (t ??= await backends.app(backend))

  it.skipIf(unavailable(backend))(
    'stores no plaintext; size, SHA-256, Content-Length and the download are the upload',
    async () => {
      const t = await app()
      const file = markedFile(3 * SEGMENT + 100)
      const up = await uploadBuild(t, file)
      expect(up.build).toMatchObject({ size: file.length, sha256: sha256(file) })

      const stored = await readObject(t.storage, up.key)
      expect(stored?.length).toBe(storedSize(file.length))
      expect(stored?.subarray(0, SEALED_MAGIC.length).equals(SEALED_MAGIC)).toBe(true)
      expect(stored?.includes(PLAINTEXT_MARKER)).toBe(false)

      const whole = await download(t, up)
      expect(whole.statusCode).toBe(200)
      expect(whole.headers['content-length']).toBe(String(file.length))
      expect(whole.headers.etag).toBe(`"${sha256(file)}"`)
      expect(whole.rawPayload.equals(file)).toBe(true)

      // The export archive is stored encrypted too, and downloads as the gzip its size and SHA-256 describe.
      const exportsOf = `/v1/organizations/${up.org.id}/exports`
      const started = (await as(t, up.owner).post(exportsOf)).body.data
      const done = await waitFor(async () => {
        const view = (await as(t, up.owner).get(`${exportsOf}/${started.id}`)).body.data
        return view.status === 'completed' && view
      }, 20_000)
      const archiveKeys = [...(await objectsUnder(t.storage, `${up.org.id}/exports/`)).keys()]
      expect(archiveKeys).toHaveLength(1)
      const storedArchive = (await readObject(t.storage, archiveKeys[0] ?? '')) ?? Buffer.alloc(0)
      expect(storedArchive.subarray(0, SEALED_MAGIC.length).equals(SEALED_MAGIC)).toBe(true)
      expect(() => gunzipSync(storedArchive)).toThrow()
      const archive = await t.app.inject({
        method: 'GET',
        url: `${exportsOf}/${started.id}/download`,
        headers: { authorization: `Bearer ${up.owner.token}` },
      })
      expect(archive.statusCode).toBe(200)
      expect(archive.rawPayload.length).toBe(done.size)
      expect(sha256(archive.rawPayload)).toBe(done.sha256)
      expect(gunzipSync(archive.rawPayload).includes(file.subarray(0, 4096))).toBe(true)
    },
  )

  it.skipIf(unavailable(backend))('serves ranges at the segment edges as the upload has them', async () => {
    const t = await app()
    const size = 3 * SEGMENT + 100
    const up = await uploadBuild(t, randomBytes(size))
    const cases: [string, number, number][] = [
      ['bytes=0-0', 0, 0],
      [`bytes=${SEGMENT - 1}-${SEGMENT}`, SEGMENT - 1, SEGMENT],
      [`bytes=${SEGMENT - 3}-${2 * SEGMENT + 2}`, SEGMENT - 3, 2 * SEGMENT + 2],
      [`bytes=${SEGMENT}-${2 * SEGMENT - 1}`, SEGMENT, 2 * SEGMENT - 1],
      [`bytes=${size - 1}-${size - 1}`, size - 1, size - 1],
      [`bytes=${3 * SEGMENT}-`, 3 * SEGMENT, size - 1],
      ['bytes=-1', size - 1, size - 1],
      ['bytes=-101', size - 101, size - 1],
      [`bytes=0-${size + 1000}`, 0, size - 1],
    ]
    for (const [range, start, end] of cases) {
      const reply = await download(t, up, { range })
      expect(reply.statusCode, range).toBe(206)
      expect(reply.headers['content-range'], range).toBe(`bytes ${start}-${end}/${size}`)
      expect(reply.headers['content-length'], range).toBe(String(end - start + 1))
      expect(reply.rawPayload.equals(up.file.subarray(start, end + 1)), range).toBe(true)
    }
  })

  it.skipIf(unavailable(backend))(
    'refuses a flipped byte or a cut object with an error, never with the bytes',
    async () => {
      const t = await app()
      const up = await uploadBuild(t, randomBytes(3 * SEGMENT))
      const sealed = (await readObject(t.storage, up.key)) ?? Buffer.alloc(0)
      const sealedSegment = SEGMENT + 16

      // A flipped byte in the first segment: the answer is an error envelope, before any byte of the build.
      const early = Buffer.from(sealed)
      early[16 + 100] = (early[16 + 100] ?? 0) ^ 0x20
      await overwrite(t, up.key, early)
      const refused = await download(t, up)
      expect(refused.statusCode).toBe(500)
      expect(refused.json()).toMatchObject({ status: false, error: { code: 1000 } })
      expect(refused.rawPayload.includes(up.file.subarray(0, 64))).toBe(false)
      expect((await download(t, up, { range: 'bytes=10-20' })).statusCode).toBe(500)

      // A flipped byte in the last segment: ranges before it are whole and authentic, one that reads it is refused,
      // and a whole download stops short of it.
      const late = Buffer.from(sealed)
      late[16 + 2 * sealedSegment + 5] = (late[16 + 2 * sealedSegment + 5] ?? 0) ^ 0x01
      await overwrite(t, up.key, late)
      const before = await download(t, up, { range: `bytes=0-${2 * SEGMENT - 1}` })
      expect(before.statusCode).toBe(206)
      expect(before.rawPayload.equals(up.file.subarray(0, 2 * SEGMENT))).toBe(true)
      expect((await download(t, up, { range: `bytes=${2 * SEGMENT}-${2 * SEGMENT}` })).statusCode).toBe(500)
      const cutShort = await download(t, up).catch(() => null)
      if (cutShort) expect(cutShort.rawPayload.length).toBeLessThanOrEqual(2 * SEGMENT)

      // Cut at a segment boundary: what remains decrypts, but the object's end is missing, and that is refused.
      await overwrite(t, up.key, sealed.subarray(0, 16 + 2 * sealedSegment))
      expect((await download(t, up, { range: `bytes=${SEGMENT}-${SEGMENT + 9}` })).statusCode).toBe(500)
      expect((await download(t, up, { range: `bytes=${3 * SEGMENT - 1}-` })).statusCode).toBe(500)

      // The operator's command says why, and leaves no file.
      const dir = mkdtempSync(join(tmpdir(), 'orgspace-decrypt-'))
      const out = join(dir, 'build.apk')
      const cut = await orgspace(t, ['storage', 'decrypt', up.key, '--out', out])
      expect(cut.code, cut.stderr).toBe(1)
      expect(cut.stderr).toBe(
        `orgspace: cannot decrypt ${up.key}: it fails its integrity check: it is truncated\n`,
      )
      await overwrite(t, up.key, early)
      const altered = await orgspace(t, ['storage', 'decrypt', up.key, '--out', out])
      expect(altered.code).toBe(1)
      expect(altered.stderr).toMatch(/it fails its integrity check: it was altered/)
      expect(existsSync(out) || existsSync(`${out}.partial`)).toBe(false)

      await overwrite(t, up.key, sealed)
      const restored = await orgspace(t, ['storage', 'decrypt', up.key, '--out', out])
      expect(restored.code, restored.stderr).toBe(0)
      expect(readFileSync(out).equals(up.file)).toBe(true)
    },
  )
})
