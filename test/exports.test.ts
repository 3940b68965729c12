import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from './support/app.js'
import { untar, lines, sha256 } from './support/archives.js'
import {
  addMember,
  as,
  createOrg,
  createUser,
  type TestOrg,
  type TestUser,
  exportsOf,
} from './support/factories.js'
import { waitFor } from './support/processes.js'
import { purgeNow } from './support/purge.js'
import { objectsUnder, postForm, randomFile } from './support/uploads.js'
import { seedOrganization } from '../src/seed/seed.js'

// docs/api.md §10: exports through the API — who may start one, what the archive holds, expiry, and an export
// racing the organization's deletion.

let t: TestApp
let owner: TestUser
beforeAll(async () => {
  t = await buildTestApp({ EXPORT_TTL_SECONDS: '2' })
  owner = await createUser(t, 'owner')
})
afterAll(async () => t?.close())

async function finished(org: { id: string }, exportId: string, user: TestUser = owner) {
  return waitFor(async () => {
    const reply = await as(t, user).get(`${exportsOf(org)}/${exportId}`)
    return reply.body.data?.status !== 'running' && reply.body.data
  }, 10_000)
}

async function download(org: TestOrg, exportId: string) {
  const response = await t.app.inject({
    method: 'GET',
    url: `${exportsOf(org)}/${exportId}/download`,
    headers: { authorization: `Bearer ${owner.token}` },
  })
  return response
}

describe('exports API', () => {
  it('owner and admin export; editor and viewer get 4003; a stranger 3001', async () => {
    const org = await createOrg(t, owner)
    const admin = await addMember(t, owner, org, 'admin')
    const editor = await addMember(t, owner, org, 'editor')
    const viewer = await addMember(t, owner, org, 'viewer')
    const stranger = await createUser(t, 'stranger')
    for (const user of [owner, admin]) {
      const reply = await as(t, user).post(exportsOf(org))
      expect(reply.status).toBe(200)
      expect(reply.body.data).toMatchObject({ status: 'running', progress: 0, size: null })
      expect((await finished(org, reply.body.data.id, user)).status).toBe('completed')
    }
    const someExport = (await as(t, owner).post(exportsOf(org))).body.data.id
    await finished(org, someExport)
    for (const user of [editor, viewer]) {
      expect((await as(t, user).post(exportsOf(org))).body.error.code).toBe(4003)
      expect((await as(t, user).get(`${exportsOf(org)}/${someExport}`)).body.error.code).toBe(4003)
      expect((await as(t, user).get(`${exportsOf(org)}/${someExport}/download`)).body.error.code).toBe(4003)
    }
    expect((await as(t, stranger).post(exportsOf(org))).body.error.code).toBe(3001)
    expect((await as(t, stranger).get(`${exportsOf(org)}/${someExport}`)).body.error.code).toBe(3001)
    // Another organization's export is not found through this one.
    const other = await createOrg(t, owner)
    expect((await as(t, owner).get(`${exportsOf(other)}/${someExport}`)).body.error.code).toBe(3001)
  })

  it('the archive holds a manifest, one NDJSON per resource and the build bytes, all as checksummed', async () => {
    const org = await createOrg(t, owner)
    const editor = await addMember(t, owner, org, 'editor')
    const app = (await as(t, owner).post(`/v1/organizations/${org.id}/apps`, { name: 'Field app' })).body.data
    const file = randomFile(5000)
    const uploaded = await postForm(
      t,
      `/v1/organizations/${org.id}/apps/${app.id}/builds`,
      `Bearer ${owner.token}`,
      [['file', file, 'field.apk']],
    )
    expect(uploaded.status).toBe(200)
    for (const serialNumber of ['SN-1', 'SN-2', 'SN-3'])
      await as(t, owner).post(`/v1/organizations/${org.id}/devices`, { platform: 'android', serialNumber })
    await as(t, owner).post(`/v1/organizations/${org.id}/subscriptions`, { plan: 'pro' })

    const started = (await as(t, owner).post(exportsOf(org))).body.data
    const done = await finished(org, started.id)
    expect(done).toMatchObject({ status: 'completed', progress: 100 })
    const response = await download(org, started.id)
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('application/gzip')
    const gz = response.rawPayload
    expect(gz.length).toBe(done.size)
    expect(sha256(gz)).toBe(done.sha256)
    expect(response.headers.etag).toBe(`"${done.sha256}"`)

    const entries = await untar(gz)
    expect(entries[0]?.name).toBe('manifest.json')
    const manifest = JSON.parse(entries[0]?.bytes.toString() ?? '{}')
    expect(manifest).toMatchObject({
      format: 'orgspace-export',
      formatVersion: 2,
      organization: { id: org.id, name: org.name, slug: org.slug },
      counts: { collaborators: 2, apps: 1, builds: 1, devices: 3, subscriptions: 1 },
    })
    const byName = new Map(entries.map((entry) => [entry.name, entry]))
    for (const listed of manifest.files) {
      const entry = byName.get(listed.name)
      expect(entry, listed.name).toBeDefined()
      expect(sha256(entry?.bytes ?? Buffer.alloc(0))).toBe(listed.sha256)
      expect(entry?.bytes.length).toBe(listed.size)
    }
    expect(entries.map((e) => e.name).sort()).toEqual(
      ['manifest.json', ...manifest.files.map((f: { name: string }) => f.name)].sort(),
    )
    expect(byName.get(`builds/${app.id}/${uploaded.body.data.id}`)?.bytes.equals(file)).toBe(true)
    const collaborators = lines(byName.get('collaborators.ndjson'))
    expect(collaborators).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ email: owner.email, role: 'owner' }),
        expect.objectContaining({ email: editor.email, role: 'editor' }),
      ]),
    )
    expect(
      lines(byName.get('devices.ndjson'))
        .map((d) => (d as { serialNumber: string }).serialNumber)
        .sort(),
    ).toEqual(['SN-1', 'SN-2', 'SN-3'])
    // The audit history, oldest first, ends with the export's own event.
    const actions = lines(byName.get('audit-events.ndjson')).map((e) => (e as { action: string }).action)
    expect(actions[0]).toBe('organization.create')
    expect(actions.at(-1)).toBe('organization.export')
  })

  it('an export expires: 3001 afterwards, and its archive leaves storage', async () => {
    const org = await createOrg(t, owner)
    const started = (await as(t, owner).post(exportsOf(org))).body.data
    const done = await finished(org, started.id)
    expect(Date.parse(done.expiresAt) - Date.parse(done.completedAt)).toBe(2000)
    expect((await download(org, started.id)).statusCode).toBe(200)
    expect((await objectsUnder(t.storage, `${org.id}/exports/`)).size).toBe(1)
    await waitFor(() => Date.now() > Date.parse(done.expiresAt) + 50, 5_000)
    expect((await as(t, owner).get(`${exportsOf(org)}/${started.id}`)).body.error.code).toBe(3001)
    expect((await download(org, started.id)).statusCode).toBe(404)
    await purgeNow(t.db)
    expect(await objectsUnder(t.storage, `${org.id}/exports/`)).toEqual(new Map())
  })

  it('a running export is not downloadable yet (5001)', async () => {
    const seeded = await seedOrganization(t.db, { owner: owner.email, devices: 2_000 })
    const org = { id: seeded.organizationId }
    const started = (await as(t, owner).post(exportsOf(org))).body.data
    const early = await as(t, owner).get(`${exportsOf(org)}/${started.id}/download`)
    const status = (await as(t, owner).get(`${exportsOf(org)}/${started.id}`)).body.data.status
    if (status === 'running') expect(early.body.error.code).toBe(5001)
    expect((await finished(org, started.id)).status).toBe('completed')
  })
})
