import { createWriteStream } from 'node:fs'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from './support/app.js'
import { as, createUser, type TestUser } from './support/factories.js'
import { kill, startNode, waitFor } from './support/processes.js'
import { purgeNow, rowsOf } from './support/purge.js'
import { writeArchive } from '../src/exports/archive.js'
import { abandonedImportsStep } from '../src/deletion/imports.js'
import { IMPORT_LEASE_MS } from '../src/exports/import-lease.js'
import { requestDeletion } from '../src/deletion/command.js'
import { seedOrganization } from '../src/seed/seed.js'

// Issue 21, item 3: an import killed with SIGKILL after it has written rows leaves no half workspace live. The
// killed import stays invisible, and the next process that runs the background step purges it once its lease
// has lapsed (the clock is moved, not waited for).

const DEVICES = 60_000

let t: TestApp
let owner: TestUser
let folder: string
beforeAll(async () => {
  t = await buildTestApp()
  owner = await createUser(t, 'owner')
  folder = mkdtempSync(join(tmpdir(), 'orgspace-import-crash-'))
})
afterAll(async () => {
  await t?.close()
  rmSync(folder, { recursive: true, force: true })
})

describe('an import killed with SIGKILL', () => {
  it('is never live, and is purged by the next process once its lease lapses', async () => {
    const seeded = await seedOrganization(t.db, {
      owner: owner.email,
      slug: 'crash-import',
      devices: DEVICES,
    })
    const path = join(folder, 'big.tar.gz')
    await writeArchive(t.db, t.storage, seeded.organizationId, createWriteStream(path))
    const auth = { userId: owner.id, email: owner.email, name: '', tokenId: '', organizationId: null }
    await requestDeletion(t.db, auth, seeded.organizationId, { graceSeconds: 0, quarantineSeconds: 0 })
    await purgeNow(t.db)

    const env = { DATABASE_URL: t.url, STORAGE_URL: t.config.STORAGE_URL, LOG_LEVEL: 'silent' }
    const child = startNode('src/cli.ts', ['import', path, '--owner', owner.email], env)
    const org = await waitFor(
      async () => {
        const row = await t.db
          .selectFrom('organizations')
          .select(['id', 'status'])
          .where('slug', '=', 'crash-import')
          .executeTakeFirst()
        if (row?.status !== 'importing') return undefined
        const { devices } = await rowsOf(t.db, row.id)
        return devices !== undefined && devices > 0 ? row : undefined
      },
      60_000,
      child.output,
    )
    await kill(child, 'SIGKILL')

    const partial = await rowsOf(t.db, org.id)
    expect(partial.devices).toBeGreaterThan(0)
    expect(partial.devices).toBeLessThan(DEVICES)
    const reply = await as(t, owner).get(`/v1/organizations/${org.id}`)
    expect(reply.status).toBe(404)
    expect(reply.body.error.code).toBe(3001)
    expect((await as(t, owner).get('/v1/organizations/check-slug/crash-import')).body.data.valid).toBe(false)

    // Within its lease it is taken for a live import elsewhere; after it, for an abandoned one.
    expect(await abandonedImportsStep(t.db, { now: () => Date.now() })).toBe(false)
    const later = Date.now() + IMPORT_LEASE_MS + 1_000
    await purgeNow(t.db, { clock: () => later })
    const left = await rowsOf(t.db, org.id)
    expect(Object.entries(left).filter(([table, n]) => table !== 'deletions' && n > 0)).toEqual([])
    const receipt = await t.db
      .selectFrom('deletions')
      .select(['status', 'requested_by'])
      .where('organization_id', '=', org.id)
      .executeTakeFirstOrThrow()
    expect(receipt).toEqual({ status: 'completed', requested_by: owner.id })
  }, 300_000)
})
