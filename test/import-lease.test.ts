import type { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from './support/app.js'
import { tarGz, type Entry } from './support/archives.js'
import { ManualClock } from './support/clock.js'
import { as, createUser, type TestUser } from './support/factories.js'
import { archiveFile, exportedWorkspace, limits } from './support/imports.js'
import { waitFor } from './support/processes.js'
import { purgeNow, rowsOf } from './support/purge.js'
import { objectsUnder } from './support/uploads.js'
import { importArchive } from '../src/exports/import.js'
import { abandonedImportsStep } from '../src/deletion/imports.js'
import { IMPORT_LEASE_MS, insertImportingOrganization, writeInImport } from '../src/exports/import-lease.js'
import type { ObjectStorage } from '../src/storage/storage.js'

// Issue 21, items 1 and 3: an import is one unit. Until its last record is written the workspace answers 3001 to
// everyone, is in no list and holds its slug; a failure midway (here: storage failing on the second build's bytes,
// after rows and one object were written) leaves nothing once the ordinary purge has run, without any membership.

let t: TestApp
let owner: TestUser
let entries: Entry[]
beforeAll(async () => {
  t = await buildTestApp()
  owner = await createUser(t, 'owner')
  ;({ entries } = await exportedWorkspace(t, owner))
})
afterAll(async () => {
  await t?.close()
})

/** The test app's storage, whose second write waits until the test lets it go on (or fail). */
function gatedStorage() {
  let release: (error?: Error) => void = () => undefined
  const gate = new Promise<void>((resolve, reject) => {
    release = (error) => (error ? reject(error) : resolve())
  })
  gate.catch(() => undefined)
  let puts = 0
  let reached = false
  const storage: ObjectStorage = Object.create(t.storage)
  storage.put = async (key: string, body: Readable, contentType: string) => {
    if (++puts === 2) {
      reached = true
      try {
        await gate
      } catch (error) {
        body.destroy()
        throw error
      }
    }
    return t.storage.put(key, body, contentType)
  }
  return { storage, release, reached: () => reached }
}

async function importing(name: string) {
  return waitFor(async () => {
    const row = await t.db
      .selectFrom('organizations')
      .select(['id', 'slug', 'status'])
      .where('name', '=', name)
      .executeTakeFirst()
    return row?.status === 'importing' ? row : undefined
  }, 10_000)
}

async function archiveNamed(name: string, slug: string) {
  const manifest = JSON.parse(entries[0]?.bytes.toString() ?? '{}')
  Object.assign(manifest.organization, { name, slug })
  return archiveFile(
    await tarGz([
      { name: 'manifest.json', bytes: Buffer.from(JSON.stringify(manifest)) },
      ...entries.slice(1),
    ]),
  )
}

describe('an import in progress', () => {
  it('is invisible and holds its slug; failing midway, it is purged through a receipt, leaving nothing', async () => {
    const path = await archiveNamed('Half imported', 'half-imported')
    const gated = gatedStorage()
    const run = importArchive(t.db, gated.storage, path, { limits, owner: owner.email })
    run.catch(() => undefined)
    const org = await importing('Half imported')
    await waitFor(async () => gated.reached(), 10_000)

    // Rows and an object are written by now.
    const written = await rowsOf(t.db, org.id)
    expect(written.collaborators).toBeGreaterThan(0)
    expect(written.builds).toBeGreaterThan(0)
    expect((await objectsUnder(t.storage, `${org.id}/`)).size).toBe(1)

    const api = as(t, owner)
    for (const url of [
      `/v1/organizations/${org.id}`,
      `/v1/organizations/half-imported`,
      `/v1/organizations/${org.id}/devices`,
    ]) {
      const reply = await api.get(url)
      expect(reply.status, url).toBe(404)
      expect(reply.body.error.code).toBe(3001)
    }
    const listed = (await api.get('/v1/organizations?limit=100')).body.data.items.map(
      (o: { id: string }) => o.id,
    )
    expect(listed).not.toContain(org.id)
    expect((await api.get('/v1/organizations/check-slug/half-imported')).body.data.valid).toBe(false)
    const clash = await api.post('/v1/organizations', { name: 'Clash', slug: 'half-imported' })
    expect(clash.body.error?.code).toBe(5001)
    // Its process renews the lease: the step that purges abandoned imports leaves it alone.
    expect(await abandonedImportsStep(t.db, { now: () => Date.now() })).toBe(false)

    gated.release(new Error('storage went away'))
    await expect(run).rejects.toThrow('storage went away')
    const receipt = await t.db
      .selectFrom('deletions')
      .selectAll()
      .where('organization_id', '=', org.id)
      .executeTakeFirstOrThrow()
    expect(receipt.requested_by).toBe(owner.id)
    await purgeNow(t.db)
    const done = await t.db
      .selectFrom('deletions')
      .select('status')
      .where('id', '=', receipt.id)
      .executeTakeFirstOrThrow()
    expect(done.status).toBe('completed')
    const left = await rowsOf(t.db, org.id)
    expect(Object.entries(left).filter(([table, n]) => table !== 'deletions' && n > 0)).toEqual([])
    expect(await objectsUnder(t.storage, `${org.id}/`)).toEqual(new Map())
    expect((await api.get('/v1/organizations/check-slug/half-imported')).body.data.valid).toBe(true)
  })

  it('goes live in one step once its last record is written', async () => {
    const path = await archiveNamed('Whole import', 'whole-import')
    const gated = gatedStorage()
    const run = importArchive(t.db, gated.storage, path, { limits, owner: owner.email })
    const org = await importing('Whole import')
    await waitFor(async () => gated.reached(), 10_000)
    expect((await as(t, owner).get(`/v1/organizations/${org.id}`)).status).toBe(404)
    gated.release()
    expect((await run).organizationId).toBe(org.id)
    const live = await as(t, owner).get(`/v1/organizations/${org.id}`)
    expect(live.status).toBe(200)
    expect(live.body.data).toMatchObject({ slug: 'whole-import', counts: { apps: 2, devices: 3 } })
  })
})

describe('the import lease', () => {
  it('an import whose process stops renewing is purged once the lease lapses, not before', async () => {
    const clock = new ManualClock()
    const id = 'abcdef0123456789abcdef01'
    const now = new Date(clock.now()).toISOString()
    const fields = {
      name: 'Leased',
      slug: 'leased-import',
      web_site_url: null,
      created_at: now,
      updated_at: now,
    }
    await insertImportingOrganization(
      t.db,
      clock,
      { id, ...fields, deleted_at: null, legal_hold_reason: null, legal_hold_at: null },
      owner.id,
    )

    // A second of margin: the clock is this process's, moved on by hand.
    clock.advance(IMPORT_LEASE_MS - 1_000)
    expect(await abandonedImportsStep(t.db, clock)).toBe(false)
    // A write renews it: a lease lapses only a full lease after the last sign of life.
    await writeInImport(t.db, clock, id, async () => undefined)
    clock.advance(IMPORT_LEASE_MS - 1_000)
    expect(await abandonedImportsStep(t.db, clock)).toBe(false)
    clock.advance(2_000)
    expect(await abandonedImportsStep(t.db, clock)).toBe(true)

    // The process, were it alive after all, can write nothing more.
    await expect(writeInImport(t.db, clock, id, async () => undefined)).rejects.toThrow(/abandoned/)
    const receipt = await t.db
      .selectFrom('deletions')
      .selectAll()
      .where('organization_id', '=', id)
      .executeTakeFirstOrThrow()
    expect(receipt).toMatchObject({ requested_by: owner.id, status: 'purging', organization_name: 'Leased' })
    await purgeNow(t.db)
    expect((await rowsOf(t.db, id)).organizations).toBe(0)
  })
})
