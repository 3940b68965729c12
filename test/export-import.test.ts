import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { limits } from './support/imports.js'
import { buildTestApp, type TestApp } from './support/app.js'
import { createUser, as, type TestUser } from './support/factories.js'
import { runNode, waitFor } from './support/processes.js'
import { purgeNow, rowsOf } from './support/purge.js'
import { objectsUnder } from './support/uploads.js'
import { contents, download, populated } from './support/workspace.js'
import { importArchive } from '../src/exports/import.js'

// docs/api.md §10: export → DELETE → import gives back the same workspace under new ids. Contents are compared through
// the HTTP API, with ids translated through what they name (an app's slug, a device's serial number).

let t: TestApp
let owner: TestUser
let folder: string
let env: Record<string, string>
beforeAll(async () => {
  t = await buildTestApp()
  owner = await createUser(t, 'owner')
  folder = mkdtempSync(join(tmpdir(), 'orgspace-archives-'))
  env = { DATABASE_URL: t.url, STORAGE_URL: t.config.STORAGE_URL, LOG_LEVEL: 'silent' }
})
afterAll(async () => {
  await t?.close()
  rmSync(folder, { recursive: true, force: true })
})

const cli = (...args: string[]) => runNode('src/cli.ts', args, env)

describe('export → DELETE → import', () => {
  it('gives back the same contents under new ids (CLI both ways)', async () => {
    const org = await populated(t, owner)
    const before = await contents(t, org.id, owner)
    const out = join(folder, 'roundtrip.tar.gz')
    const exported = await cli('export', org.slug, '--out', out)
    expect(exported.stderr).toMatch(/exported/)
    expect(exported.code, exported.stderr).toBe(0)
    expect(exported.stdout).toBe('')

    expect((await as(t, owner).delete(`/v1/organizations/${org.id}`)).status).toBe(200)
    await purgeNow(t.db)
    expect(await rowsOf(t.db, org.id)).toMatchObject({ organizations: 0, devices: 0, builds: 0 })

    const imported = await cli('import', out, '--owner', owner.email)
    expect(imported.code, imported.stderr).toBe(0)
    expect(imported.stdout).toMatch(/^[a-f0-9]{24}\n$/)
    const newId = imported.stdout.trim()
    expect(newId).not.toBe(org.id)
    const after = await contents(t, newId, owner)
    // Everything as it was, and one event more: the import itself, saying what it brought.
    expect({ ...after, audit: after.audit.slice(0, -1) }).toEqual(before)
    const { collaborators, apps, builds, devices, subscriptions, audit } = before
    const rows = [collaborators, apps, builds, devices, subscriptions, audit].reduce(
      (n, l) => n + l.length,
      0,
    )
    expect(after.audit.at(-1)).toMatchObject({
      action: 'organization.import',
      target: 'organization',
      actor: owner.email,
      details: { name: before.organization.name, rows },
    })
    expect(after.audit.at(-1)?.details?.archivedAt).toMatch(/^\d{4}-\d\d-\d\dT/)
    // New ids everywhere: nothing of the old workspace's ids is reused.
    const oldApps = (
      await t.db.selectFrom('apps').select('id').where('organization_id', '=', newId).execute()
    ).map((a) => a.id)
    expect(oldApps).toHaveLength(2)
    expect((await objectsUnder(t.storage, `${newId}/`)).size).toBe(3)
  })

  it('an archive downloaded from the API imports under another owner and slug; the old owner is an admin', async () => {
    const org = await populated(t, owner)
    const started = (await as(t, owner).post(`/v1/organizations/${org.id}/exports`)).body.data
    await waitFor(
      async () =>
        (await as(t, owner).get(`/v1/organizations/${org.id}/exports/${started.id}`)).body.data.status ===
        'completed',
      10_000,
    )
    const path = join(folder, 'api.tar.gz')
    writeFileSync(
      path,
      await download(t, owner, `/v1/organizations/${org.id}/exports/${started.id}/download`),
    )
    const newcomer = `newcomer-${Date.now()}@example.test`
    const { organizationId } = await importArchive(t.db, t.storage, path, {
      limits,
      owner: newcomer,
      slug: `copy-${org.slug}`,
    })
    const people = await t.db
      .selectFrom('collaborators')
      .innerJoin('users', 'users.id', 'collaborators.user_id')
      .select(['users.email', 'collaborators.role'])
      .where('collaborators.organization_id', '=', organizationId)
      .execute()
    expect(people).toEqual(
      expect.arrayContaining([
        { email: newcomer, role: 'owner' },
        { email: owner.email, role: 'admin' },
      ]),
    )
    expect(people.filter((p) => p.role === 'owner')).toHaveLength(1)
    const copy = await t.db
      .selectFrom('organizations')
      .selectAll()
      .where('id', '=', organizationId)
      .executeTakeFirst()
    expect(copy).toMatchObject({
      slug: `copy-${org.slug}`,
      apps_count: 2,
      devices_count: 3,
      collaborators_count: 5,
    })
  })
})
