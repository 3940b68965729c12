import { randomBytes } from 'node:crypto'
import type { TestApp } from './app.js'
import { as, createOrg, createUser, type TestOrg, type TestUser } from './factories.js'
import { postForm } from './uploads.js'

// Workspaces with builds, for the tests of encryption at rest: what was uploaded, where it is stored, and whether
// every build still downloads as uploaded.

/** Written all through the files below: found in storage only if something is stored in the clear. */
export const PLAINTEXT_MARKER = 'ORGSPACE-PLAINTEXT-MARKER'

/** The first bytes of an encrypted object (docs/storage.md). */
export const SEALED_MAGIC = Buffer.from('\x89OSENC\r\n', 'latin1')

/** Random bytes with the marker every 4 KiB, so every 64 KiB segment holds it. */
export function markedFile(size: number): Buffer {
  const bytes = randomBytes(size)
  for (let at = 0; at + PLAINTEXT_MARKER.length <= size; at += 4096)
    bytes.write(PLAINTEXT_MARKER, at, 'latin1')
  return bytes
}

export interface SealedBuild {
  /** Its object's key in storage. */
  key: string
  /** Its download route. */
  url: string
  file: Buffer
}

export interface Workspace {
  owner: TestUser
  org: TestOrg
  builds: SealedBuild[]
}

/** A new workspace with one app and `count` builds of about `size` bytes, uploaded through the API. */
export async function workspaceWithBuilds(t: TestApp, count: number, size = 70_000): Promise<Workspace> {
  const owner = await createUser(t, 'owner')
  const org = await createOrg(t, owner)
  const app = (await as(t, owner).post(`/v1/organizations/${org.id}/apps`, { name: 'Sealed' })).body.data
  const base = `/v1/organizations/${org.id}/apps/${app.id}/builds`
  const builds: SealedBuild[] = []
  for (let i = 0; i < count; i++) {
    const file = markedFile(size + i)
    const reply = await postForm(t, base, `Bearer ${owner.token}`, [['file', file, 'app.apk']])
    if (reply.status !== 200) throw new Error(`upload failed: ${JSON.stringify(reply.body)}`)
    const build = reply.body.data
    builds.push({ key: `${org.id}/${app.id}/${build.id}`, url: `${base}/${build.id}/download`, file })
  }
  return { owner, org, builds }
}

/** Whether every build of these workspaces downloads, whole, as it was uploaded. */
export async function allDownload(t: TestApp, workspaces: Workspace[]): Promise<boolean> {
  for (const { owner, builds } of workspaces)
    for (const build of builds) {
      const reply = await t.app.inject({
        url: build.url,
        headers: { authorization: `Bearer ${owner.token}` },
      })
      if (reply.statusCode !== 200 || !reply.rawPayload.equals(build.file)) return false
    }
  return true
}
