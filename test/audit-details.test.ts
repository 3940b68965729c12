import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from './support/app.js'
import {
  addMember,
  as,
  createUser,
  expectValidation,
  type TestOrg,
  type TestUser,
} from './support/factories.js'
import { postForm, randomFile } from './support/uploads.js'

// Readable history: every change records, in its own transaction, what a person needs to read it later — the
// entity's name, serial or email at the time and the change made. The expected details are the values each test
// sent, never something computed by the code under test.

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp()
})
afterAll(async () => t.close())

const o = (org: TestOrg) => `/v1/organizations/${org.id}`

async function ok(reply: Promise<{ status: number; body: any }>) {
  const { status, body } = await reply
  if (status !== 200) throw new Error(`expected 200, got ${status} ${JSON.stringify(body)}`)
  return body.data
}

interface Event {
  action: string
  entityId: string
  actor: { id: string; email: string; name: string } | null
  details: Record<string, unknown> | null
}

async function history(user: TestUser, org: TestOrg, query = ''): Promise<Event[]> {
  return (await ok(as(t, user).get(`${o(org)}/audit?limit=100${query}`))).items
}

/** The one event of `action` about `entityId`, oldest first when there are several. */
function only(events: Event[], action: string, entityId: string): Event {
  const found = events.filter((e) => e.action === action && e.entityId === entityId)
  expect(found, `${action} ${entityId}`).toHaveLength(1)
  return found[0] as Event
}

/** A workspace named by the test, through the API, and its owner (who has a display name). */
async function workspace(name: string) {
  const owner = await createUser(t, 'owner')
  await t.db.updateTable('users').set({ name: 'Ana Owner' }).where('id', '=', owner.id).execute()
  const org: TestOrg = await ok(as(t, owner).post('/v1/organizations', { name }))
  return { owner, org }
}

describe('audit details', () => {
  it('name the workspace, its renames and a change of owner, and the actor by name', async () => {
    const { owner, org } = await workspace('Details Org')
    const admin = await addMember(t, owner, org, 'admin')
    await ok(as(t, owner).put(o(org), { name: 'Details Renamed', webSiteUrl: 'https://example.test' }))
    await ok(as(t, owner).post(`${o(org)}/change-owner`, { newOwner: admin.email }))

    const events = await history(admin, org)
    const created = only(events, 'organization.create', org.id)
    expect(created.details).toEqual({ name: 'Details Org', slug: org.slug })
    expect(created.actor).toEqual({ id: owner.id, email: owner.email, name: 'Ana Owner' })
    expect(only(events, 'organization.update', org.id).details).toEqual({
      name: 'Details Renamed',
      changes: {
        name: { from: 'Details Org', to: 'Details Renamed' },
        webSiteUrl: { from: null, to: 'https://example.test' },
      },
    })
    expect(only(events, 'organization.ownerChange', org.id).details).toMatchObject({
      email: admin.email,
      changes: { owner: { from: owner.email, to: admin.email } },
    })
  })

  it('name the collaborator and the role change', async () => {
    const { owner, org } = await workspace('Roles Org')
    const bob = await ok(
      as(t, owner).post(`${o(org)}/collaborators`, { email: 'bob@example.test', role: 'admin', name: 'Bob' }),
    )
    await ok(as(t, owner).put(`${o(org)}/collaborators/${bob.id}`, { role: 'viewer' }))
    await ok(as(t, owner).delete(`${o(org)}/collaborators/${bob.id}`))

    const events = await history(owner, org)
    expect(only(events, 'collaborator.create', bob.id).details).toEqual({
      email: 'bob@example.test',
      name: 'Bob',
      role: 'admin',
    })
    expect(only(events, 'collaborator.update', bob.id).details).toEqual({
      email: 'bob@example.test',
      name: 'Bob',
      changes: { role: { from: 'admin', to: 'viewer' } },
    })
    expect(only(events, 'collaborator.remove', bob.id).details).toEqual({
      email: 'bob@example.test',
      name: 'Bob',
      role: 'viewer',
    })
  })

  it('name apps, builds, app tokens, devices and subscriptions as they were', async () => {
    const { owner, org } = await workspace('Things Org')
    const app = await ok(as(t, owner).post(`${o(org)}/apps`, { name: 'Field', slug: 'field-app' }))
    await ok(
      as(t, owner).put(`${o(org)}/apps/${app.id}`, { name: 'Field Pro', description: 'x'.repeat(500) }),
    )
    const upload = await postForm(t, `${o(org)}/apps/${app.id}/builds`, `Bearer ${owner.token}`, [
      ['versionName', '2.1'],
      ['file', randomFile(100), 'field.apk'],
    ])
    expect(upload.status, JSON.stringify(upload.body)).toBe(200)
    const build = upload.body.data
    await ok(as(t, owner).delete(`${o(org)}/apps/${app.id}/builds/${build.id}`))
    const token = await ok(as(t, owner).post(`${o(org)}/apps/${app.id}/tokens`, { name: 'CI' }))
    await ok(as(t, owner).delete(`${o(org)}/apps/${app.id}/tokens/${token.id}`))
    const device = await ok(
      as(t, owner).post(`${o(org)}/devices`, { platform: 'android', serialNumber: 'SN-123', name: 'Lobby' }),
    )
    const bare = await ok(as(t, owner).post(`${o(org)}/devices`, { platform: 'apple', serialNumber: 'SN-9' }))
    await ok(as(t, owner).delete(`${o(org)}/devices/${device.id}`))
    const sub = await ok(as(t, owner).post(`${o(org)}/subscriptions`, { plan: 'business' }))
    await ok(as(t, owner).post(`${o(org)}/subscriptions/${sub.id}/cancel`))
    await ok(as(t, owner).delete(`${o(org)}/apps/${app.id}`))

    const events = await history(owner, org)
    expect(only(events, 'app.create', app.id).details).toEqual({ name: 'Field', slug: 'field-app' })
    const update = only(events, 'app.update', app.id).details
    expect(update).toMatchObject({ name: 'Field Pro', changes: { name: { from: 'Field', to: 'Field Pro' } } })
    // A long text is kept short: the history says it changed.
    const description = (update?.changes as Record<string, { to: string }>).description
    expect(description?.to.length).toBeLessThanOrEqual(200)
    expect(description?.to.startsWith('xxxx')).toBe(true)
    expect(only(events, 'app.remove', app.id).details).toEqual({ name: 'Field Pro', slug: 'field-app' })
    const built = { fileName: 'field.apk', version: '2.1', app: 'Field Pro' }
    expect(only(events, 'build.upload', build.id).details).toEqual(built)
    expect(only(events, 'build.remove', build.id).details).toEqual(built)
    expect(only(events, 'app_token.create', token.id).details).toEqual({ name: 'CI', app: 'Field Pro' })
    expect(only(events, 'app_token.remove', token.id).details).toEqual({ name: 'CI', app: 'Field Pro' })
    const lobby = { serialNumber: 'SN-123', platform: 'android', name: 'Lobby' }
    expect(only(events, 'device.enroll', device.id).details).toEqual(lobby)
    expect(only(events, 'device.unenroll', device.id).details).toEqual(lobby)
    expect(only(events, 'device.enroll', bare.id).details).toEqual({
      serialNumber: 'SN-9',
      platform: 'apple',
    })
    expect(only(events, 'subscription.create', sub.id).details).toEqual({
      plan: 'business',
      status: 'active',
    })
    expect(only(events, 'subscription.cancel', sub.id).details).toEqual({
      plan: 'business',
      changes: { status: { from: 'active', to: 'canceled' } },
    })
  })

  it('keep a webhook by its origin only: its path may hold a secret', async () => {
    const { owner, org } = await workspace('Hooks Org')
    const hook = await ok(
      as(t, owner).post(`${o(org)}/webhooks`, {
        url: 'https://93.184.215.14/hooks/T0KEN-s3cret',
        events: ['*'],
      }),
    )
    await ok(as(t, owner).put(`${o(org)}/webhooks/${hook.id}`, { enabled: false }))
    await ok(as(t, owner).delete(`${o(org)}/webhooks/${hook.id}`))
    const events = await history(owner, org)
    expect(JSON.stringify(events)).not.toContain('T0KEN')
    expect(only(events, 'webhook.create', hook.id).details).toEqual({ url: 'https://93.184.215.14' })
    expect(only(events, 'webhook.update', hook.id).details).toEqual({
      url: 'https://93.184.215.14',
      changes: { enabled: { from: true, to: false } },
    })
  })

  it('record no change for an update that changes nothing', async () => {
    const { owner, org } = await workspace('Same Org')
    const app = await ok(as(t, owner).post(`${o(org)}/apps`, { name: 'Same' }))
    await ok(as(t, owner).put(`${o(org)}/apps/${app.id}`, { name: 'Same' }))
    expect(only(await history(owner, org), 'app.update', app.id).details).toEqual({
      name: 'Same',
      changes: {},
    })
  })
})

describe('audit filters', () => {
  it('take one action or every action of a kind, with dates', async () => {
    const { owner, org } = await workspace('Filter Org')
    const device = await ok(
      as(t, owner).post(`${o(org)}/devices`, { platform: 'windows', serialNumber: 'W-1' }),
    )
    await ok(as(t, owner).delete(`${o(org)}/devices/${device.id}`))
    await ok(as(t, owner).post(`${o(org)}/apps`, { name: 'Not a device' }))

    const actions = async (query: string) => (await history(owner, org, query)).map((e) => e.action).sort()
    expect(await actions('&action=device.')).toEqual(['device.enroll', 'device.unenroll'])
    expect(await actions('&action=device.unenroll')).toEqual(['device.unenroll'])
    expect(await actions('&action=app.')).toEqual(['app.create'])
    expect(await actions('&action=subscription.')).toEqual([])
    const page = await ok(as(t, owner).get(`${o(org)}/audit?action=device.&limit=1`))
    expect(page).toMatchObject({ totalDocs: 2, totalPages: 2 })
    const now = new Date().toISOString()
    expect(await actions(`&action=device.&dateEnd=${encodeURIComponent(now)}`)).toEqual([
      'device.enroll',
      'device.unenroll',
    ])
    expect(await actions(`&action=device.&dateIni=${encodeURIComponent(now)}`)).toEqual([])
  })

  it('refuse an unknown action or kind with 3000, naming the allowed values', async () => {
    const { owner, org } = await workspace('Bad Filter Org')
    for (const action of ['device', 'device.explode', 'DEVICE.', '.', 'device.%', '']) {
      const reply = await as(t, owner).get(`${o(org)}/audit?action=${encodeURIComponent(action)}`)
      expectValidation(reply, '/querystring/action')
      const message = reply.body.error.data.errors[0].message
      expect(message).toContain('device.enroll')
      expect(message).toContain('device.')
    }
  })
})
