import { afterAll, beforeAll, describe, expect, it } from 'vitest'
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
