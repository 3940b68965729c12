import { expect } from 'vitest'
import type { TestApp } from './app.js'
import { sha256 } from './archives.js'
import { addMember, as, createOrg, type TestUser } from './factories.js'
import { objectsUnder, postForm, randomFile } from './uploads.js'

// A workspace with some of everything, and what it holds as its owner sees it through the API: the oracle of the
// export and import tests (it never reads the archive or the exports code).

async function list(t: TestApp, user: TestUser, url: string): Promise<any[]> {
  const reply = await as(t, user).get(`${url}${url.includes('?') ? '&' : '?'}limit=100`)
  expect(reply.status, JSON.stringify(reply.body)).toBe(200)
  return reply.body.data.items
}

export async function download(t: TestApp, user: TestUser, url: string): Promise<Buffer> {
  const response = await t.app.inject({
    method: 'GET',
    url,
    headers: { authorization: `Bearer ${user.token}` },
  })
  expect(response.statusCode).toBe(200)
  return response.rawPayload
}

/** The workspace as its owner sees it through the API, every id replaced by what it names. */
export async function contents(t: TestApp, orgId: string, user: TestUser) {
  const base = `/v1/organizations/${orgId}`
  const names = new Map<string, string>([[orgId, 'organization']])
  const org = (await as(t, user).get(base)).body.data
  const collaborators = (await list(t, user, `${base}/collaborators`)).map((c) => {
    names.set(c.id, `collaborator:${c.user.email}`)
    return { email: c.user.email, role: c.role, createdAt: c.createdAt }
  })
  const apps = []
  const builds = []
  for (const app of await list(t, user, `${base}/apps`)) {
    names.set(app.id, `app:${app.slug}`)
    apps.push({ name: app.name, slug: app.slug, description: app.description, createdAt: app.createdAt })
    for (const build of await list(t, user, `${base}/apps/${app.id}/builds`)) {
      names.set(build.id, `build:${build.fileName}`)
      const bytes = await download(t, user, `${base}/apps/${app.id}/builds/${build.id}/download`)
      builds.push({
        app: app.slug,
        fileName: build.fileName,
        size: build.size,
        sha256: build.sha256,
        bytes: sha256(bytes),
        versionName: build.versionName,
        uploadedBy: build.uploadedBy.email,
      })
    }
  }
  const devices = (await list(t, user, `${base}/devices`)).map((d) => {
    names.set(d.id, `device:${d.serialNumber}`)
    return {
      platform: d.platform,
      serialNumber: d.serialNumber,
      name: d.name,
      state: d.state,
      enrolledAt: d.enrolledAt,
    }
  })
  const subscriptions = (await list(t, user, `${base}/subscriptions`)).map((s) => {
    names.set(s.id, `subscription:${s.plan}`)
    return { plan: s.plan, status: s.status, createdAt: s.createdAt, canceledAt: s.canceledAt }
  })
  // Entities gone since (a removed device) have no name left: they are told apart by first appearance.
  const unnamed = new Map<string, string>()
  const audit = (await list(t, user, `${base}/audit`))
    .reverse()
    .map((e) => ({
      action: e.action,
      entity: e.entity,
      target:
        names.get(e.entityId) ??
        unnamed.get(e.entityId) ??
        (unnamed.set(e.entityId, `gone#${unnamed.size}`), unnamed.get(e.entityId)),
      actor: e.actor?.email ?? null,
      // Names and emails as they were, no ids: the same after an import.
      details: e.details,
      createdAt: e.createdAt,
    }))
    .sort((a, b) => (a.createdAt + a.action + a.target).localeCompare(b.createdAt + b.action + b.target))
  const sortBy = <T>(rows: T[], key: (row: T) => string) =>
    [...rows].sort((a, b) => key(a).localeCompare(key(b)))
  return {
    organization: { name: org.name, slug: org.slug, counts: org.counts },
    collaborators: sortBy(collaborators, (c) => c.email),
    apps: sortBy(apps, (a) => a.slug),
    builds: sortBy(builds, (b) => b.fileName),
    devices: sortBy(devices, (d) => d.serialNumber),
    subscriptions: sortBy(subscriptions, (s) => s.createdAt + s.plan),
    audit,
  }
}

/** A workspace with some of everything, made through the API. */
export async function populated(t: TestApp, user: TestUser) {
  const org = await createOrg(t, user)
  const base = `/v1/organizations/${org.id}`
  const admin = await addMember(t, user, org, 'admin')
  await addMember(t, user, org, 'editor')
  await addMember(t, user, org, 'viewer')
  const field = (await as(t, user).post(`${base}/apps`, { name: 'Field app', description: 'For the field' }))
    .body.data
  const kiosk = (await as(t, admin).post(`${base}/apps`, { name: 'Kiosk' })).body.data
  await as(t, user).put(`${base}/apps/${kiosk.id}`, { description: 'Lobby screens' })
  for (const [app, size, name] of [
    [field, 3000, 'field-1.apk'],
    [field, 70_000, 'field-2.apk'],
    [kiosk, 10, 'kiosk.ipa'],
  ] as const) {
    const reply = await postForm(t, `${base}/apps/${app.id}/builds`, `Bearer ${user.token}`, [
      ['versionName', '1.0'],
      ['file', randomFile(size), name],
    ])
    expect(reply.status).toBe(200)
  }
  for (const [platform, serialNumber, name] of [
    ['android', 'SN-A', 'Tablet'],
    ['apple', 'SN-B', ''],
    ['windows', 'SN-C', 'Till'],
  ])
    await as(t, admin).post(`${base}/devices`, { platform, serialNumber, ...(name ? { name } : {}) })
  const gone = (await as(t, user).post(`${base}/devices`, { platform: 'android', serialNumber: 'SN-GONE' }))
    .body.data
  await as(t, user).delete(`${base}/devices/${gone.id}`)
  const plan = (await as(t, user).post(`${base}/subscriptions`, { plan: 'pro' })).body.data
  await as(t, user).post(`${base}/subscriptions/${plan.id}/cancel`)
  return org
}

/** Rows and objects of the whole instance: what "nothing written" is checked against. */
export async function everything(t: TestApp) {
  const counts: Record<string, number> = {}
  for (const table of [
    'users',
    'organizations',
    'collaborators',
    'apps',
    'builds',
    'devices',
    'audit_events',
  ] as const) {
    const row = await t.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
    counts[table] = Number(row.n)
  }
  return { counts, objects: [...(await objectsUnder(t.storage, '')).keys()].sort() }
}
