import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from './support/app.js'
import { addMember, as, createOrg, createUser, type TestOrg, type TestUser } from './support/factories.js'
import { purgeNow, rowsOf } from './support/purge.js'

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp()
})
afterAll(async () => t.close())

/** An organization with some of everything, so there is something to purge. */
async function populatedOrg(owner: TestUser): Promise<TestOrg> {
  const org = await createOrg(t, owner)
  const api = as(t, owner)
  await addMember(t, owner, org, 'editor')
  for (let i = 0; i < 3; i++)
    expect((await api.post(`/v1/organizations/${org.id}/apps`, { name: `App ${i}` })).status).toBe(200)
  for (let i = 0; i < 5; i++)
    expect(
      (
        await api.post(`/v1/organizations/${org.id}/devices`, {
          platform: 'android',
          serialNumber: `SN-${i}`,
        })
      ).status,
    ).toBe(200)
  const sub = await api.post(`/v1/organizations/${org.id}/subscriptions`, { plan: 'pro' })
  expect(
    (await api.post(`/v1/organizations/${org.id}/subscriptions/${sub.body.data.id}/cancel`)).status,
  ).toBe(200)
  expect((await api.post('/v1/users/me/tokens', { name: 'scoped', organizationId: org.id })).status).toBe(200)
  return org
}

describe('DELETE /v1/organizations/:organizationId — the reference page', () => {
  it('answers 200 {"status":true,"data":{"delete":"OK"}} with a receipt id', async () => {
    const owner = await createUser(t, 'owner')
    const org = await createOrg(t, owner)
    const reply = await as(t, owner).delete(`/v1/organizations/${org.id}`)
    expect(reply.status).toBe(200)
    expect(reply.headers['content-type']).toMatch(/^application\/json/)
    expect(reply.body).toEqual({
      status: true,
      data: { delete: 'OK', deletionId: expect.stringMatching(/^[a-f0-9]{24}$/) },
    })
  })

  it('answers 400 / 5111 word for word while a subscription is active, trialing or past due', async () => {
    const owner = await createUser(t, 'owner')
    for (const status of ['active', 'trialing', 'past_due']) {
      const org = await createOrg(t, owner)
      expect(
        (await as(t, owner).post(`/v1/organizations/${org.id}/subscriptions`, { plan: 'pro', status }))
          .status,
      ).toBe(200)
      const reply = await as(t, owner).delete(`/v1/organizations/${org.id}`)
      expect(reply.status, status).toBe(400)
      expect(reply.body).toEqual({
        status: false,
        error: { code: 5111, message: 'Can not perform this action because there are active subscriptions' },
      })
      // Refused means untouched: the organization is still there.
      expect((await as(t, owner).get(`/v1/organizations/${org.id}`)).status).toBe(200)
    }
  })

  it('answers 401 / 4002 word for word without a token, and 4004 with a bad one', async () => {
    const owner = await createUser(t, 'owner')
    const org = await createOrg(t, owner)
    const none = await as(t, null).delete(`/v1/organizations/${org.id}`)
    expect(none.status).toBe(401)
    expect(none.body).toEqual({ status: false, error: { code: 4002, message: 'No auth token' } })
    const bad = await as(
      t,
      'osk_000000000000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    ).delete(`/v1/organizations/${org.id}`)
    expect(bad.status).toBe(401)
    expect(bad.body).toEqual({ status: false, error: { code: 4004, message: 'Invalid Token' } })
    expect((await as(t, owner).get(`/v1/organizations/${org.id}`)).status).toBe(200)
  })

  it('answers 404 / 3001 word for word for unknown ids and slugs, and 3000 for a malformed one', async () => {
    const owner = await createUser(t, 'owner')
    for (const ref of ['0123456789abcdef01234567', 'no-such-workspace']) {
      const reply = await as(t, owner).delete(`/v1/organizations/${ref}`)
      expect(reply.status).toBe(404)
      expect(reply.body).toEqual({ status: false, error: { code: 3001, message: 'Entity not found' } })
    }
    const malformed = await as(t, owner).delete('/v1/organizations/a_b')
    expect(malformed.status).toBe(400)
    expect(malformed.body.error.code).toBe(3000)
  })

  it('lets only the owner delete: strangers get 404, other roles 403', async () => {
    const owner = await createUser(t, 'owner')
    const stranger = await createUser(t, 'stranger')
    const org = await createOrg(t, owner)
    expect((await as(t, stranger).delete(`/v1/organizations/${org.id}`)).body.error.code).toBe(3001)
    for (const role of ['admin', 'editor', 'viewer'] as const) {
      const member = await addMember(t, owner, org, role)
      const reply = await as(t, member).delete(`/v1/organizations/${org.id}`)
      expect(reply.status, role).toBe(403)
      expect(reply.body.error).toEqual({ code: 4003, message: 'Forbidden' })
    }
    expect((await as(t, owner).get(`/v1/organizations/${org.id}`)).status).toBe(200)
  })

  it('accepts the slug, case-insensitively', async () => {
    const owner = await createUser(t, 'owner')
    const org = await createOrg(t, owner)
    expect((await as(t, owner).delete(`/v1/organizations/${org.slug.toUpperCase()}`)).status).toBe(200)
  })
})

describe('after DELETE answers 200', () => {
  it('every route of the organization answers 404 at once, and its slug is free', async () => {
    const owner = await createUser(t, 'owner')
    const org = await populatedOrg(owner)
    const app = (await as(t, owner).get(`/v1/organizations/${org.id}/apps`)).body.data.items[0]
    const collaborator = (await as(t, owner).get(`/v1/organizations/${org.id}/collaborators`)).body.data
      .items[0]
    expect((await as(t, owner).delete(`/v1/organizations/${org.id}`)).status).toBe(200)

    const api = as(t, owner)
    const o = `/v1/organizations/${org.id}`
    const replies = await Promise.all([
      api.get(o),
      api.get(`/v1/organizations/${org.slug}`),
      api.put(o, { name: 'x' }),
      api.delete(o),
      api.get(`${o}/actions`),
      api.get(`${o}/deletion-preview`),
      api.post(`${o}/change-owner`, { newOwner: owner.email }),
      api.get(`${o}/collaborators`),
      api.post(`${o}/collaborators`, { email: 'late@example.test', role: 'viewer' }),
      api.put(`${o}/collaborators/${collaborator.id}`, { role: 'admin' }),
      api.delete(`${o}/collaborators/${collaborator.id}`),
      api.get(`${o}/apps`),
      api.post(`${o}/apps`, { name: 'late' }),
      api.get(`${o}/apps/${app.id}`),
      api.put(`${o}/apps/${app.id}`, { name: 'late' }),
      api.delete(`${o}/apps/${app.id}`),
      api.get(`${o}/devices`),
      api.post(`${o}/devices`, { platform: 'apple', serialNumber: 'late' }),
      api.get(`${o}/subscriptions`),
      api.post(`${o}/subscriptions`, { plan: 'pro' }),
      api.get(`${o}/audit`),
    ])
    for (const reply of replies) {
      expect(reply.status).toBe(404)
      expect(reply.body).toEqual({ status: false, error: { code: 3001, message: 'Entity not found' } })
    }
    const list = await api.get('/v1/organizations')
    expect(list.body.data.items.map((i: { id: string }) => i.id)).not.toContain(org.id)
    expect((await api.get(`/v1/organizations/check-slug/${org.slug}`)).body.data).toEqual({
      valid: true,
      reason: '',
    })
    const reused = await api.post('/v1/organizations', { name: 'Reborn', slug: org.slug })
    expect(reused.status).toBe(200)
    expect(reused.body.data.id).not.toBe(org.id)
  })

  it('purges every row of the organization and leaves another organization identical', async () => {
    const owner = await createUser(t, 'owner')
    const doomed = await populatedOrg(owner)
    const neighbour = await populatedOrg(owner)
    const before = await rowsOf(t.db, neighbour.id)
    const doomedBefore = await rowsOf(t.db, doomed.id)
    expect(doomedBefore.devices).toBe(5)

    const deleted = await as(t, owner).delete(`/v1/organizations/${doomed.id}`)
    await purgeNow(t.db)

    const after = await rowsOf(t.db, doomed.id)
    expect(after).toEqual(Object.fromEntries(Object.keys(after).map((k) => [k, k === 'deletions' ? 1 : 0])))
    expect(await rowsOf(t.db, neighbour.id)).toEqual(before)
    // Users stay: they may belong elsewhere.
    expect((await as(t, owner).get('/v1/users/me')).status).toBe(200)

    const receipt = await as(t, owner).get(`/v1/deletions/${deleted.body.data.deletionId}`)
    expect(receipt.status).toBe(200)
    expect(receipt.body.data).toMatchObject({
      id: deleted.body.data.deletionId,
      organization: { id: doomed.id, slug: doomed.slug, name: doomed.name },
      requestedBy: { id: owner.id, email: owner.email },
      status: 'completed',
      counts: {
        apps: 3,
        devices: 5,
        collaborators: 2,
        subscriptions: 1,
        tokens: 1,
        auditEvents: doomedBefore.audit_events,
      },
      error: null,
    })
    expect(Date.parse(receipt.body.data.completedAt)).toBeGreaterThanOrEqual(
      Date.parse(receipt.body.data.requestedAt),
    )
  })

  it('20 concurrent DELETEs: one 200 and nineteen 404', async () => {
    const owner = await createUser(t, 'owner')
    const org = await createOrg(t, owner)
    const replies = await Promise.all(
      Array.from({ length: 20 }, () => as(t, owner).delete(`/v1/organizations/${org.id}`)),
    )
    expect(replies.filter((r) => r.status === 200)).toHaveLength(1)
    expect(replies.filter((r) => r.status === 404 && r.body.error.code === 3001)).toHaveLength(19)
    const receipts = await t.db
      .selectFrom('deletions')
      .select('id')
      .where('organization_id', '=', org.id)
      .execute()
    expect(receipts).toHaveLength(1)
  })
})

describe('deletion preview', () => {
  it('lists blockers and the counts DELETE would remove', async () => {
    const owner = await createUser(t, 'owner')
    const org = await populatedOrg(owner)
    const active = await as(t, owner).post(`/v1/organizations/${org.id}/subscriptions`, {
      plan: 'team',
      status: 'past_due',
    })
    const preview = await as(t, owner).get(`/v1/organizations/${org.id}/deletion-preview`)
    expect(preview.status).toBe(200)
    expect(preview.body.data.blockers).toEqual([
      { type: 'subscription', id: active.body.data.id, status: 'past_due' },
    ])
    expect(preview.body.data.counts).toMatchObject({
      apps: 3,
      devices: 5,
      collaborators: 2,
      subscriptions: 2,
      tokens: 1,
    })
    expect(preview.body.data.counts.auditEvents).toBeGreaterThan(10)
    // No grace period is configured here: a DELETE purges at once.
    expect(preview.body.data.graceSeconds).toBe(0)
  })

  it('is for the owner only', async () => {
    const owner = await createUser(t, 'owner')
    const org = await createOrg(t, owner)
    const admin = await addMember(t, owner, org, 'admin')
    expect((await as(t, admin).get(`/v1/organizations/${org.id}/deletion-preview`)).status).toBe(403)
    expect(
      (await as(t, await createUser(t)).get(`/v1/organizations/${org.id}/deletion-preview`)).status,
    ).toBe(404)
  })
})

describe('receipts', () => {
  it('are readable only by whoever requested them, newest first', async () => {
    const owner = await createUser(t, 'owner')
    const ids: string[] = []
    for (let i = 0; i < 3; i++) {
      const org = await createOrg(t, owner)
      ids.push((await as(t, owner).delete(`/v1/organizations/${org.id}`)).body.data.deletionId)
    }
    const list = await as(t, owner).get('/v1/deletions?limit=2')
    expect(list.body.data).toMatchObject({ totalDocs: 3, totalPages: 2 })
    expect(list.body.data.items.map((r: { id: string }) => r.id)).toEqual([ids[2], ids[1]])
    const other = await createUser(t, 'other')
    expect((await as(t, other).get(`/v1/deletions/${ids[0]}`)).status).toBe(404)
    expect((await as(t, other).get('/v1/deletions')).body.data.totalDocs).toBe(0)
    expect((await as(t, owner).get('/v1/deletions/0123456789abcdef01234567')).status).toBe(404)
  })

  it('shows progress while purging', async () => {
    const owner = await createUser(t, 'owner')
    const org = await populatedOrg(owner)
    const { deletionId } = (await as(t, owner).delete(`/v1/organizations/${org.id}`)).body.data
    const receipt = await as(t, owner).get(`/v1/deletions/${deletionId}`)
    expect(receipt.body.data).toMatchObject({ status: 'purging', completedAt: null })
    expect(Object.values(receipt.body.data.counts).every((n) => n === 0)).toBe(true)
  })
})
