import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from './support/app.js'
import { addMember, as, createOrg, createUser } from './support/factories.js'

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp()
})
afterAll(async () => t.close())

describe('collaborators (user assignments)', () => {
  it('adds a collaborator by email, creating the user when new, and counts them', async () => {
    const owner = await createUser(t, 'owner')
    const org = await createOrg(t, owner)
    const email = `New.Person-${Date.now()}@Example.test`
    const added = await as(t, owner).post(`/v1/organizations/${org.id}/collaborators`, {
      email,
      role: 'editor',
      name: 'New Person',
    })
    expect(added.status).toBe(200)
    expect(added.body.data).toMatchObject({
      role: 'editor',
      user: { email: email.toLowerCase(), name: 'New Person' },
    })
    expect(added.body.data.id).toMatch(/^[a-f0-9]{24}$/)
    expect((await as(t, owner).get(`/v1/organizations/${org.id}`)).body.data.counts.collaborators).toBe(2)

    const list = await as(t, owner).get(`/v1/organizations/${org.id}/collaborators`)
    expect(list.body.data).toMatchObject({ totalDocs: 2, page: 1, hasNextPage: false })
    expect(list.body.data.items.map((c: { role: string }) => c.role)).toEqual(['owner', 'editor'])
    const filtered = await as(t, owner).get(`/v1/organizations/${org.id}/collaborators?role=editor`)
    expect(filtered.body.data.totalDocs).toBe(1)
    const byEmail = await as(t, owner).get(`/v1/organizations/${org.id}/collaborators?email=new.person`)
    expect(byEmail.body.data.items.map((c: { user: { email: string } }) => c.user.email)).toEqual([
      email.toLowerCase(),
    ])
  })

  it('reuses an existing user and refuses to add them twice (5001)', async () => {
    const owner = await createUser(t, 'owner')
    const friend = await createUser(t, 'friend')
    const org = await createOrg(t, owner)
    const first = await as(t, owner).post(`/v1/organizations/${org.id}/collaborators`, {
      email: friend.email.toUpperCase(),
      role: 'viewer',
    })
    expect(first.body.data.user.id).toBe(friend.id)
    const again = await as(t, owner).post(`/v1/organizations/${org.id}/collaborators`, {
      email: friend.email,
      role: 'admin',
    })
    expect(again.status).toBe(409)
    expect(again.body.error).toMatchObject({ code: 5001, message: 'Conflict' })
    expect((await as(t, friend).get(`/v1/organizations/${org.id}`)).body.data.role).toBe('viewer')
  })

  it('validates email and role; the owner role is given only by change-owner', async () => {
    const owner = await createUser(t, 'owner')
    const org = await createOrg(t, owner)
    for (const body of [
      { email: 'not-an-email', role: 'viewer' },
      { email: 'a@example.test', role: 'owner' },
      { email: 'a@example.test' },
    ]) {
      const reply = await as(t, owner).post(`/v1/organizations/${org.id}/collaborators`, body)
      expect(reply.status, JSON.stringify(body)).toBe(400)
      expect(reply.body.error.code).toBe(3000)
      expect(reply.body.error.data.errors.length).toBeGreaterThan(0)
    }
    expect((await as(t, owner).get(`/v1/organizations/${org.id}`)).body.data.counts.collaborators).toBe(1)
  })

  it('changes a role, and the new role takes effect at once', async () => {
    const owner = await createUser(t, 'owner')
    const org = await createOrg(t, owner)
    const member = await addMember(t, owner, org, 'viewer')
    expect((await as(t, member).post(`/v1/organizations/${org.id}/apps`, { name: 'x' })).status).toBe(403)
    const changed = await as(t, owner).put(
      `/v1/organizations/${org.id}/collaborators/${member.collaboratorId}`,
      { role: 'editor' },
    )
    expect(changed.status).toBe(200)
    expect(changed.body.data.role).toBe('editor')
    expect((await as(t, member).post(`/v1/organizations/${org.id}/apps`, { name: 'x' })).status).toBe(200)
  })

  it('never demotes or removes the owner (5001)', async () => {
    const owner = await createUser(t, 'owner')
    const org = await createOrg(t, owner)
    const admin = await addMember(t, owner, org, 'admin')
    const ownerRow = (await as(t, owner).get(`/v1/organizations/${org.id}/collaborators?role=owner`)).body
      .data.items[0]
    const demote = await as(t, admin).put(`/v1/organizations/${org.id}/collaborators/${ownerRow.id}`, {
      role: 'viewer',
    })
    expect(demote.status).toBe(409)
    const remove = await as(t, admin).delete(`/v1/organizations/${org.id}/collaborators/${ownerRow.id}`)
    expect(remove.status).toBe(409)
    expect(remove.body.error.code).toBe(5001)
    expect((await as(t, owner).get(`/v1/organizations/${org.id}`)).body.data.role).toBe('owner')
  })

  it('removes a collaborator, who then gets 404', async () => {
    const owner = await createUser(t, 'owner')
    const org = await createOrg(t, owner)
    const member = await addMember(t, owner, org, 'editor')
    const removed = await as(t, owner).delete(
      `/v1/organizations/${org.id}/collaborators/${member.collaboratorId}`,
    )
    expect(removed.body).toEqual({ status: true, data: { delete: 'OK' } })
    expect((await as(t, member).get(`/v1/organizations/${org.id}`)).status).toBe(404)
    expect((await as(t, owner).get(`/v1/organizations/${org.id}`)).body.data.counts.collaborators).toBe(1)
    expect(
      (await as(t, owner).delete(`/v1/organizations/${org.id}/collaborators/${member.collaboratorId}`))
        .status,
    ).toBe(404)
  })

  it("answers 404 for another organization's collaborator", async () => {
    const owner = await createUser(t, 'owner')
    const mine = await createOrg(t, owner)
    const theirs = await createOrg(t, owner)
    const member = await addMember(t, owner, theirs, 'viewer')
    const reply = await as(t, owner).put(
      `/v1/organizations/${mine.id}/collaborators/${member.collaboratorId}`,
      { role: 'admin' },
    )
    expect(reply.status).toBe(404)
    expect((await as(t, member).get(`/v1/organizations/${theirs.id}`)).body.data.role).toBe('viewer')
  })
})

describe('scoped tokens', () => {
  it('reach only their organization and cannot mint other tokens', async () => {
    const owner = await createUser(t, 'owner')
    const a = await createOrg(t, owner)
    const b = await createOrg(t, owner)
    const scoped = (await as(t, owner).post('/v1/users/me/tokens', { name: 'ci', organizationId: a.slug }))
      .body.data
    expect(scoped.organizationId).toBe(a.id)
    expect((await as(t, scoped.token).get(`/v1/organizations/${a.id}`)).status).toBe(200)
    expect((await as(t, scoped.token).get(`/v1/organizations/${b.id}`)).status).toBe(404)
    expect(
      (await as(t, scoped.token).get('/v1/organizations')).body.data.items.map((o: { id: string }) => o.id),
    ).toEqual([a.id])
    expect((await as(t, scoped.token).post('/v1/users/me/tokens', { name: 'wider' })).status).toBe(403)
    expect((await as(t, scoped.token).post('/v1/organizations', { name: 'new' })).status).toBe(403)
    // A scope the caller does not belong to is refused like any unknown organization.
    const stranger = await createUser(t, 'stranger')
    expect(
      (await as(t, stranger).post('/v1/users/me/tokens', { name: 'x', organizationId: a.id })).status,
    ).toBe(404)
  })
})
