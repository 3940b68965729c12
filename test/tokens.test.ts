import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.js'
import { openDatabase } from '../src/db/connect.js'
import { createToken } from '../src/tokens/service.js'
import { buildTestApp, type TestApp } from './support/app.js'
import { as, createUser } from './support/factories.js'

/** The secret part of `osk_<24-hex id>_<secret>` (the secret itself may contain '_'). */
const secretOf = (token: string) => token.slice('osk_'.length + 24 + 1)

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp()
})
afterAll(async () => t.close())

describe('users and tokens', () => {
  it('GET /users/me answers who is calling', async () => {
    const alice = await createUser(t, 'alice')
    const me = await as(t, alice).get('/v1/users/me')
    expect(me.body).toEqual({ status: true, data: { id: alice.id, email: alice.email, name: 'alice' } })
  })

  it('shows a new token once, lists it without its value, and stores only a hash', async () => {
    const alice = await createUser(t, 'alice')
    const created = await as(t, alice).post('/v1/users/me/tokens', { name: 'deploy', expiresInDays: 30 })
    expect(created.status).toBe(200)
    const token = created.body.data
    expect(token.token).toMatch(/^osk_[a-f0-9]{24}_[A-Za-z0-9_-]{43}$/)
    expect(Date.parse(token.expiresAt) - Date.parse(token.createdAt)).toBe(30 * 86_400_000)
    expect((await as(t, token.token).get('/v1/users/me')).body.data.id).toBe(alice.id)

    const list = await as(t, alice).get('/v1/users/me/tokens')
    const listed = list.body.data.items.find((i: { id: string }) => i.id === token.id)
    expect(listed).toEqual({
      id: token.id,
      name: 'deploy',
      organizationId: null,
      createdAt: token.createdAt,
      expiresAt: token.expiresAt,
    })
    expect(JSON.stringify(list.body)).not.toContain(secretOf(token.token))

    const row = await t.db
      .selectFrom('tokens')
      .selectAll()
      .where('id', '=', token.id)
      .executeTakeFirstOrThrow()
    expect(Object.values(row).join(' ')).not.toContain(secretOf(token.token))
    expect(row.secret_hash).toMatch(/^[a-f0-9]{64}$/)
  })

  it('revokes a token: 4004 afterwards; only the owner of a token can revoke it', async () => {
    const alice = await createUser(t, 'alice')
    const bob = await createUser(t, 'bob')
    const spare = (await as(t, alice).post('/v1/users/me/tokens', { name: 'spare' })).body.data
    expect((await as(t, bob).delete(`/v1/users/me/tokens/${spare.id}`)).status).toBe(404)
    expect((await as(t, alice).delete(`/v1/users/me/tokens/${spare.id}`)).body).toEqual({
      status: true,
      data: { delete: 'OK' },
    })
    expect((await as(t, spare.token).get('/v1/users/me')).body.error).toEqual({
      code: 4004,
      message: 'Invalid Token',
    })
    expect((await as(t, alice).delete(`/v1/users/me/tokens/${spare.id}`)).status).toBe(404)
  })

  it('validates token input', async () => {
    const alice = await createUser(t, 'alice')
    for (const body of [
      {},
      { name: '' },
      { name: 'x', expiresInDays: 0 },
      { name: 'x', expiresInDays: 'soon' },
    ]) {
      const reply = await as(t, alice).post('/v1/users/me/tokens', body)
      expect(reply.status, JSON.stringify(body)).toBe(400)
      expect(reply.body.error.code).toBe(3000)
    }
  })

  it('never writes a token into the logs', async () => {
    const logged = await buildTestApp({ LOG_LEVEL: 'trace' })
    try {
      const alice = await createUser(logged, 'alice')
      const minted = await as(logged, alice).post('/v1/users/me/tokens', { name: 'secret' })
      await as(logged, minted.body.data.token).get('/v1/users/me')
      await as(logged, `${alice.token}x`).get('/v1/users/me')
      expect(logged.logs.length).toBeGreaterThan(4)
      const text = JSON.stringify(logged.logs)
      for (const token of [alice.token, minted.body.data.token]) expect(text).not.toContain(secretOf(token))
    } finally {
      await logged.close()
    }
  })
})

describe('live tokens per user', () => {
  it('refuses one more than TOKENS_PER_USER (5001) until one is revoked; expired ones do not count', async () => {
    const capped = await buildTestApp({ TOKENS_PER_USER: '3' })
    try {
      // createUser holds one token already: two more reach the cap of three.
      const alice = await createUser(capped, 'alice')
      const made = []
      for (let i = 0; i < 2; i++) {
        const reply = await as(capped, alice).post('/v1/users/me/tokens', { name: `t${i}` })
        expect(reply.status).toBe(200)
        made.push(reply.body.data)
      }
      const refused = await as(capped, alice).post('/v1/users/me/tokens', { name: 'one too many' })
      expect(refused.status).toBe(409)
      expect(refused.body.error.code).toBe(5001)
      expect(refused.body.error.data.reason).toMatch(/at most 3 live tokens/)
      expect((await as(capped, alice).get('/v1/users/me/tokens')).body.data.totalDocs).toBe(3)

      // Another user is not affected by alice's count.
      const bob = await createUser(capped, 'bob')
      expect((await as(capped, bob).post('/v1/users/me/tokens', { name: 'b' })).status).toBe(200)

      await capped.db
        .updateTable('tokens')
        .set({ expires_at: '2000-01-01T00:00:00.000Z' })
        .where('id', '=', made[0].id)
        .execute()
      expect((await as(capped, alice).post('/v1/users/me/tokens', { name: 'after expiry' })).status).toBe(200)
      expect((await as(capped, alice).post('/v1/users/me/tokens', { name: 'again' })).status).toBe(409)
      await as(capped, alice).delete(`/v1/users/me/tokens/${made[1].id}`)
      expect((await as(capped, alice).post('/v1/users/me/tokens', { name: 'after revoke' })).status).toBe(200)
    } finally {
      await capped.close()
    }
  })

  it('holds the cap under 30 concurrent creations', async () => {
    const capped = await buildTestApp({ TOKENS_PER_USER: '10' })
    try {
      const alice = await createUser(capped, 'alice')
      const replies = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          as(capped, alice).post('/v1/users/me/tokens', { name: `c${i}` }),
        ),
      )
      expect(replies.filter((r) => r.status === 200)).toHaveLength(9)
      expect(replies.filter((r) => r.status === 409)).toHaveLength(21)
      const rows = await capped.db.selectFrom('tokens').select('id').where('user_id', '=', alice.id).execute()
      expect(rows).toHaveLength(10)
    } finally {
      await capped.close()
    }
  })
})

describe('tokens scoped to an organization', () => {
  it('die with the membership they came from: not listed, not working, not revived by a new invitation', async () => {
    const owner = await createUser(t, 'owner')
    const org = (await as(t, owner).post('/v1/organizations', { name: 'Scoped' })).body.data
    const member = await createUser(t, 'member')
    const added = await as(t, owner).post(`/v1/organizations/${org.id}/collaborators`, {
      email: member.email,
      role: 'editor',
    })
    const scoped = (await as(t, member).post('/v1/users/me/tokens', { name: 'ci', organizationId: org.id }))
      .body.data
    expect((await as(t, scoped.token).get(`/v1/organizations/${org.id}`)).status).toBe(200)

    await as(t, owner).delete(`/v1/organizations/${org.id}/collaborators/${added.body.data.id}`)
    const listed = (await as(t, member).get('/v1/users/me/tokens')).body.data.items.map(
      (i: { id: string }) => i.id,
    )
    expect(listed).not.toContain(scoped.id)
    expect((await as(t, scoped.token).get('/v1/users/me')).body.error.code).toBe(4004)

    await as(t, owner).post(`/v1/organizations/${org.id}/collaborators`, {
      email: member.email,
      role: 'editor',
    })
    expect((await as(t, scoped.token).get(`/v1/organizations/${org.id}`)).body.error.code).toBe(4004)
    // The member's own, unscoped token is untouched.
    expect((await as(t, member).get(`/v1/organizations/${org.id}`)).status).toBe(200)
  })
})

describe('the token cache, with two processes on one database', () => {
  // `other` is a second app on the same database, with its own connections and its own token cache: what
  // another server process would be.
  let other: TestApp
  beforeAll(async () => {
    const database = openDatabase(t.url)
    const app = await buildApp({ config: t.config, database })
    await app.ready()
    other = { ...t, app, db: database.db, database, close: async () => app.close() }
  })
  afterAll(async () => {
    await other.close()
    await other.database.close()
  })

  it('stops taking a token the other revoked', async () => {
    const alice = await createUser(t, 'alice')
    const org = (await as(t, alice).post('/v1/organizations', { name: 'Cached' })).body.data
    const spare = (await as(t, alice).post('/v1/users/me/tokens', { name: 'spare' })).body.data
    expect((await as(t, spare.token).get(`/v1/organizations/${org.slug}`)).status).toBe(200)
    expect((await as(other, alice).delete(`/v1/users/me/tokens/${spare.id}`)).status).toBe(200)
    for (const url of [
      `/v1/organizations/${org.slug}`,
      `/v1/organizations/${org.id}/actions`,
      '/v1/users/me',
    ])
      expect((await as(t, spare.token).get(url)).body.error.code, url).toBe(4004)
  })

  it('follows a role the other changed, and a membership the other ended', async () => {
    const owner = await createUser(t, 'owner')
    const org = (await as(t, owner).post('/v1/organizations', { name: 'Roles' })).body.data
    const member = await createUser(t, 'member')
    const added = await as(t, owner).post(`/v1/organizations/${org.id}/collaborators`, {
      email: member.email,
      role: 'admin',
    })
    const scoped = (await as(t, member).post('/v1/users/me/tokens', { name: 'ci', organizationId: org.id }))
      .body.data
    const actions = async (token: string) =>
      (await as(t, token).get(`/v1/organizations/${org.id}/actions`)).body
    expect((await actions(member.token)).data.items).toContain('base.organization.management.update')
    expect((await actions(scoped.token)).data.items).toContain('base.organization.management.update')

    const collaborator = `/v1/organizations/${org.id}/collaborators/${added.body.data.id}`
    expect((await as(other, owner).put(collaborator, { role: 'viewer' })).status).toBe(200)
    expect((await actions(member.token)).data.items).not.toContain('base.organization.management.update')
    expect((await as(t, member).get(`/v1/organizations/${org.id}`)).body.data.role).toBe('viewer')

    expect((await as(other, owner).delete(collaborator)).status).toBe(200)
    expect((await actions(member.token)).error.code).toBe(3001)
    expect((await actions(scoped.token)).error.code).toBe(4004)
  })

  it('refuses a cached token once it expires', async () => {
    const alice = await createUser(t, 'alice')
    const org = (await as(t, alice).post('/v1/organizations', { name: 'Expiring' })).body.data
    const brief = await createToken(t.db, alice.id, { name: 'brief', expiresInDays: 1 })
    await t.db
      .updateTable('tokens')
      .set({ expires_at: new Date(Date.now() + 1_500).toISOString() })
      .where('id', '=', brief.id)
      .execute()
    expect((await as(t, brief.token).get(`/v1/organizations/${org.id}`)).status).toBe(200)
    t.clock.advance(1_600)
    expect((await as(t, brief.token).get(`/v1/organizations/${org.id}`)).body.error.code).toBe(4005)
  })

  it('never lets a wrong secret through, cached or not', async () => {
    const alice = await createUser(t, 'alice')
    const org = (await as(t, alice).post('/v1/organizations', { name: 'Secrets' })).body.data
    expect((await as(t, alice).get(`/v1/organizations/${org.id}`)).status).toBe(200)
    const forged = `${alice.token.slice(0, -1)}${alice.token.endsWith('A') ? 'B' : 'A'}`
    expect((await as(t, forged).get(`/v1/organizations/${org.id}`)).body.error.code).toBe(4004)
    expect((await as(t, alice).get(`/v1/organizations/${org.id}`)).status).toBe(200)
  })
})
