import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { newId } from '../src/db/ids.js'
import type { TestApp } from './support/app.js'
import { BACKENDS, unavailable, useBackends } from './support/backends.js'
import { as, createOrg, createUser } from './support/factories.js'
import { startNode } from './support/processes.js'
import { objectsUnder, postForm, randomFile, readObject, sha256 } from './support/uploads.js'

// `npx orgspace storage check [--fix]`, run as an operator runs it, against storage with a planted stray object and
// a planted missing one.

const backends = useBackends()

async function cli(t: TestApp, ...args: string[]) {
  const { config } = t
  const child = startNode('src/cli.ts', ['storage', 'check', ...args], {
    DATABASE_URL: t.url,
    STORAGE_URL: config.STORAGE_URL,
    S3_ENDPOINT: config.S3_ENDPOINT,
    S3_REGION: config.S3_REGION,
    S3_FORCE_PATH_STYLE: config.S3_FORCE_PATH_STYLE,
  })
  const [code] = (await child.exited) as [number]
  return { code, output: child.output() }
}

describe.each(BACKENDS)('storage check on %s storage', (backend) => {
  it.skipIf(unavailable(backend))(
    'finds a stray object and a missing one; --fix removes only the stray',
    async () => {
      const t = await backends.app(backend)
      const owner = await createUser(t, 'owner')
      const org = await createOrg(t, owner)
      const app = (await as(t, owner).post(`/v1/organizations/${org.id}/apps`, { name: 'Checked' })).body.data
      const base = `/v1/organizations/${org.id}/apps/${app.id}/builds`
      const builds: { id: string; sha256: string }[] = []
      for (let i = 0; i < 3; i++)
        builds.push(
          (await postForm(t, base, `Bearer ${owner.token}`, [['file', randomFile(500 + i), 'b.apk']])).body
            .data,
        )
      const [kept, other, lost] = builds.map((b) => `${org.id}/${app.id}/${b.id}`)

      // Planted: an object no build owns (in the organization's folder, and one of no organization at all), and a
      // build whose object is gone.
      const stray = `${org.id}/${app.id}/${newId()}`
      const orphan = `${newId()}/${newId()}/${newId()}`
      await t.storage.put(stray, Readable.from([randomFile(77)]), 'application/octet-stream')
      await t.storage.put(orphan, Readable.from([randomFile(78)]), 'application/octet-stream')
      await t.storage.remove([lost ?? ''])

      const found = await cli(t)
      expect(found.code, found.output).toBe(1)
      expect(found.output).toContain(`stray\t${stray}\t77\n`)
      expect(found.output).toContain(`stray\t${orphan}\t78\n`)
      expect(found.output).toContain(`missing\t${lost}\n`)
      expect(found.output).not.toContain(`${kept}`)

      const fixed = await cli(t, '--fix')
      expect(fixed.code, fixed.output).toBe(1) // the missing object cannot be fixed
      expect(fixed.output).toMatch(/2 without a build \(2 removed\)/)
      expect([...(await objectsUnder(t.storage, '')).keys()].sort()).toEqual([kept, other].sort())
      for (const build of builds.slice(0, 2)) {
        const bytes = await readObject(t.app.storage, `${org.id}/${app.id}/${build.id}`)
        expect(bytes && sha256(bytes)).toBe(build.sha256)
      }

      // Deleting the broken build queues its removal: nothing is wrong any more.
      expect((await as(t, owner).delete(`${base}/${builds[2]?.id}`)).status).toBe(200)
      const clean = await cli(t)
      expect(clean.code, clean.output).toBe(0)
      expect(clean.output).toMatch(/0 without a build, 0 builds without an object/)
    },
    300_000,
  )
})
