import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { as, createOrg, createUser } from '../support/factories.js'

// Issue 21, item 6: the CI routes authenticate app tokens themselves; they share the one auth-failure limit per
// address (RATE_LIMIT_AUTH_FAILURES) with every other route that authenticates.

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp({ RATE_LIMIT: 'on', RATE_LIMIT_PER_TOKEN: '1000', RATE_LIMIT_AUTH_FAILURES: '3' })
})
afterAll(async () => t?.close())

let nextAddress = 1
const freshAddress = () => `198.51.100.${nextAddress++}`

function send(url: string, token: string, address: string) {
  return t.app.inject({
    method: 'GET',
    url,
    remoteAddress: address,
    headers: { authorization: `bearer ${token}` },
  })
}

async function appToken(): Promise<string> {
  const owner = await createUser(t, 'ci-owner')
  const org = await createOrg(t, owner)
  const app = (await as(t, owner).post(`/v1/organizations/${org.id}/apps`, { name: 'CI app' })).body.data
  const made = await as(t, owner).post(`/v1/organizations/${org.id}/apps/${app.id}/tokens`, { name: 'ci' })
  expect(made.status).toBe(200)
  return made.body.data.token
}

describe('the auth-failure limit on the CI routes', () => {
  it('refuses an address after RATE_LIMIT_AUTH_FAILURES bad app tokens, even with a good one', async () => {
    const good = await appToken()
    const address = freshAddress()
    for (let i = 0; i < 3; i++)
      expect((await send('/v1/integrations/builds', `made-up-${i}`, address)).statusCode).toBe(401)
    const refused = await send('/v1/integrations/builds', 'made-up-4', address)
    expect(refused.statusCode).toBe(429)
    expect(refused.json().error.code).toBe(4029)
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1)
    expect((await send('/v1/integrations/builds', good, address)).statusCode).toBe(429)
    // The same token from another address works.
    expect((await send('/v1/integrations/builds', good, freshAddress())).statusCode).toBe(200)
  })

  it('is one budget: failures on the CI routes and on the user routes add up', async () => {
    const user = await createUser(t, 'user')
    const address = freshAddress()
    expect((await send('/v1/integrations/builds', 'made-up', address)).statusCode).toBe(401)
    expect((await send('/v1/users/me', 'made-up', address)).statusCode).toBe(401)
    expect((await send('/v1/integrations/builds', 'made-up', address)).statusCode).toBe(401)
    expect((await send('/v1/users/me', user.token, address)).statusCode).toBe(429)
  })
})
