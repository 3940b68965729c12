import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createToken } from '../src/tokens/service.js'
import { buildTestApp, type TestApp } from './support/app.js'
import { postForm, randomFile } from './support/uploads.js'
import {
  addMember,
  as,
  call,
  createOrg,
  createUser,
  type TestOrg,
  type TestUser,
} from './support/factories.js'

// One check over every route: no token, bad token, malformed header, expired token, revoked token; and for
// organization routes a stranger (404, nothing leaks) and a member lacking the permission (403). The route
// table is compared with the OpenAPI document, so a new route cannot be added without being checked here, and
// every error code a route answers here must be one its OpenAPI entry lists.

type Role = 'admin' | 'editor' | 'viewer'
type Method = 'GET' | 'POST' | 'PUT' | 'DELETE'

interface Fixture {
  owner: TestUser
  org: TestOrg
  members: Record<Role, TestUser & { collaboratorId: string }>
  appId: string
  deviceId: string
  subscriptionId: string
  tokenId: string
  deletionId: string
  buildId: string
  appTokenId: string
  exportId: string
  webhookId: string
  deliveryId: string
}

interface RouteCase {
  method: Method
  path: string
  url(f: Fixture): string
  body?: object
  /** Organization routes: strangers get 404. */
  org?: true
  /** The most privileged role that lacks the route's permission. */
  deniedTo?: Role
  /** Served but left out of the OpenAPI document (an alias of a documented route). */
  hidden?: true
  /** Integration routes: authenticated by app tokens instead of users' tokens. */
  appToken?: true
}

const o = (f: Fixture) => `/v1/organizations/${f.org.id}`
const builds = (f: Fixture) => `${o(f)}/apps/${f.appId}/builds`
const appTokens = (f: Fixture) => `${o(f)}/apps/${f.appId}/tokens`
const BUILDS = '/v1/organizations/:organizationId/apps/:applicationId/builds'
const EXPORTS = '/v1/organizations/:organizationId/exports'
const APP_TOKENS = '/v1/organizations/:organizationId/apps/:applicationId/tokens'

const ROUTES: RouteCase[] = [
  { method: 'GET', path: '/v1/users/me', url: () => '/v1/users/me' },
  { method: 'POST', path: '/v1/users/me/tokens', url: () => '/v1/users/me/tokens', body: { name: 'x' } },
  { method: 'GET', path: '/v1/users/me/tokens', url: () => '/v1/users/me/tokens' },
  { method: 'DELETE', path: '/v1/users/me/tokens/:tokenId', url: (f) => `/v1/users/me/tokens/${f.tokenId}` },
  { method: 'GET', path: '/v1/organizations', url: () => '/v1/organizations' },
  { method: 'POST', path: '/v1/organizations', url: () => '/v1/organizations', body: { name: 'x' } },
  {
    method: 'GET',
    path: '/v1/organizations/check-slug',
    url: () => '/v1/organizations/check-slug?slug=some-slug',
  },
  {
    method: 'GET',
    path: '/v1/organizations/check-slug/:slug',
    url: () => '/v1/organizations/check-slug/some-slug',
    hidden: true,
  },
  { method: 'GET', path: '/v1/deletions', url: () => '/v1/deletions' },
  { method: 'GET', path: '/v1/deletions/:deletionId', url: (f) => `/v1/deletions/${f.deletionId}` },
  {
    method: 'GET',
    path: '/v1/deletions/:deletionId/certificate',
    url: (f) => `/v1/deletions/${f.deletionId}/certificate`,
  },
  {
    method: 'POST',
    path: '/v1/deletions/:deletionId/restore',
    url: (f) => `/v1/deletions/${f.deletionId}/restore`,
  },
  { method: 'GET', path: '/v1/organizations/:organizationId', url: o, org: true },
  {
    method: 'PUT',
    path: '/v1/organizations/:organizationId',
    url: o,
    body: { name: 'x' },
    org: true,
    deniedTo: 'editor',
  },
  { method: 'DELETE', path: '/v1/organizations/:organizationId', url: o, org: true, deniedTo: 'admin' },
  {
    method: 'GET',
    path: '/v1/organizations/:organizationId/actions',
    url: (f) => `${o(f)}/actions`,
    org: true,
  },
  {
    method: 'POST',
    path: '/v1/organizations/:organizationId/change-owner',
    url: (f) => `${o(f)}/change-owner`,
    body: { newOwner: 'x@example.test' },
    org: true,
    deniedTo: 'admin',
  },
  {
    method: 'GET',
    path: '/v1/organizations/:organizationId/deletion-preview',
    url: (f) => `${o(f)}/deletion-preview`,
    org: true,
    deniedTo: 'admin',
  },
  {
    method: 'GET',
    path: '/v1/organizations/:organizationId/collaborators',
    url: (f) => `${o(f)}/collaborators`,
    org: true,
  },
  {
    method: 'POST',
    path: '/v1/organizations/:organizationId/collaborators',
    url: (f) => `${o(f)}/collaborators`,
    body: { email: 'new@example.test', role: 'viewer' },
    org: true,
    deniedTo: 'editor',
  },
  {
    method: 'PUT',
    path: '/v1/organizations/:organizationId/collaborators/:collaboratorId',
    url: (f) => `${o(f)}/collaborators/${f.members.viewer.collaboratorId}`,
    body: { role: 'editor' },
    org: true,
    deniedTo: 'editor',
  },
  {
    method: 'DELETE',
    path: '/v1/organizations/:organizationId/collaborators/:collaboratorId',
    url: (f) => `${o(f)}/collaborators/${f.members.viewer.collaboratorId}`,
    org: true,
    deniedTo: 'editor',
  },
  { method: 'GET', path: '/v1/organizations/:organizationId/apps', url: (f) => `${o(f)}/apps`, org: true },
  {
    method: 'POST',
    path: '/v1/organizations/:organizationId/apps',
    url: (f) => `${o(f)}/apps`,
    body: { name: 'x' },
    org: true,
    deniedTo: 'viewer',
  },
  {
    method: 'GET',
    path: '/v1/organizations/:organizationId/apps/:applicationId',
    url: (f) => `${o(f)}/apps/${f.appId}`,
    org: true,
  },
  {
    method: 'PUT',
    path: '/v1/organizations/:organizationId/apps/:applicationId',
    url: (f) => `${o(f)}/apps/${f.appId}`,
    body: { name: 'x' },
    org: true,
    deniedTo: 'viewer',
  },
  {
    method: 'DELETE',
    path: '/v1/organizations/:organizationId/apps/:applicationId',
    url: (f) => `${o(f)}/apps/${f.appId}`,
    org: true,
    deniedTo: 'viewer',
  },
  { method: 'GET', path: BUILDS, url: builds, org: true },
  { method: 'POST', path: BUILDS, url: builds, org: true, deniedTo: 'viewer' },
  { method: 'GET', path: `${BUILDS}/:buildId`, url: (f) => `${builds(f)}/${f.buildId}`, org: true },
  {
    method: 'GET',
    path: `${BUILDS}/:buildId/download`,
    url: (f) => `${builds(f)}/${f.buildId}/download`,
    org: true,
  },
  {
    method: 'DELETE',
    path: `${BUILDS}/:buildId`,
    url: (f) => `${builds(f)}/${f.buildId}`,
    org: true,
    deniedTo: 'viewer',
  },
  { method: 'GET', path: APP_TOKENS, url: appTokens, org: true, deniedTo: 'viewer' },
  { method: 'POST', path: APP_TOKENS, url: appTokens, body: { name: 'x' }, org: true, deniedTo: 'viewer' },
  {
    method: 'DELETE',
    path: `${APP_TOKENS}/:tokenId`,
    url: (f) => `${appTokens(f)}/${f.appTokenId}`,
    org: true,
    deniedTo: 'viewer',
  },
  { method: 'GET', path: '/v1/integrations/builds', url: () => '/v1/integrations/builds', appToken: true },
  { method: 'POST', path: '/v1/integrations/builds', url: () => '/v1/integrations/builds', appToken: true },
  {
    method: 'GET',
    path: '/v1/organizations/:organizationId/devices',
    url: (f) => `${o(f)}/devices`,
    org: true,
  },
  {
    method: 'POST',
    path: '/v1/organizations/:organizationId/devices',
    url: (f) => `${o(f)}/devices`,
    body: { platform: 'apple', serialNumber: 'SEC-1' },
    org: true,
    deniedTo: 'viewer',
  },
  {
    method: 'DELETE',
    path: '/v1/organizations/:organizationId/devices/:deviceId',
    url: (f) => `${o(f)}/devices/${f.deviceId}`,
    org: true,
    deniedTo: 'viewer',
  },
  {
    method: 'GET',
    path: '/v1/organizations/:organizationId/subscriptions',
    url: (f) => `${o(f)}/subscriptions`,
    org: true,
    deniedTo: 'admin',
  },
  {
    method: 'POST',
    path: '/v1/organizations/:organizationId/subscriptions',
    url: (f) => `${o(f)}/subscriptions`,
    body: { plan: 'pro' },
    org: true,
    deniedTo: 'admin',
  },
  {
    method: 'POST',
    path: '/v1/organizations/:organizationId/subscriptions/:subscriptionId/cancel',
    url: (f) => `${o(f)}/subscriptions/${f.subscriptionId}/cancel`,
    org: true,
    deniedTo: 'admin',
  },
  {
    method: 'GET',
    path: '/v1/organizations/:organizationId/audit',
    url: (f) => `${o(f)}/audit`,
    org: true,
    deniedTo: 'editor',
  },
  {
    method: 'GET',
    path: '/v1/organizations/:organizationId/webhooks',
    url: (f) => `${o(f)}/webhooks`,
    org: true,
    deniedTo: 'editor',
  },
  {
    method: 'POST',
    path: '/v1/organizations/:organizationId/webhooks',
    url: (f) => `${o(f)}/webhooks`,
    body: { url: 'https://93.184.215.14/hook', events: ['*'] },
    org: true,
    deniedTo: 'editor',
  },
  {
    method: 'PUT',
    path: '/v1/organizations/:organizationId/webhooks/:webhookId',
    url: (f) => `${o(f)}/webhooks/${f.webhookId}`,
    body: { description: 'x' },
    org: true,
    deniedTo: 'editor',
  },
  {
    method: 'DELETE',
    path: '/v1/organizations/:organizationId/webhooks/:webhookId',
    url: (f) => `${o(f)}/webhooks/${f.webhookId}`,
    org: true,
    deniedTo: 'editor',
  },
  {
    method: 'POST',
    path: '/v1/organizations/:organizationId/webhooks/:webhookId/test',
    url: (f) => `${o(f)}/webhooks/${f.webhookId}/test`,
    org: true,
    deniedTo: 'editor',
  },
  {
    method: 'GET',
    path: '/v1/organizations/:organizationId/webhooks/:webhookId/deliveries',
    url: (f) => `${o(f)}/webhooks/${f.webhookId}/deliveries`,
    org: true,
    deniedTo: 'editor',
  },
  {
    method: 'POST',
    path: '/v1/organizations/:organizationId/webhooks/:webhookId/deliveries/:deliveryId/retry',
    url: (f) => `${o(f)}/webhooks/${f.webhookId}/deliveries/${f.deliveryId}/retry`,
    org: true,
    deniedTo: 'editor',
  },
  { method: 'POST', path: EXPORTS, url: (f) => `${o(f)}/exports`, org: true, deniedTo: 'editor' },
  {
    method: 'GET',
    path: `${EXPORTS}/:exportId`,
    url: (f) => `${o(f)}/exports/${f.exportId}`,
    org: true,
    deniedTo: 'editor',
  },
  {
    method: 'GET',
    path: `${EXPORTS}/:exportId/download`,
    url: (f) => `${o(f)}/exports/${f.exportId}/download`,
    org: true,
    deniedTo: 'editor',
  },
]

let t: TestApp
let f: Fixture
let stranger: TestUser
let expiredToken: string
let appToken: string
let expiredAppToken: string

beforeAll(async () => {
  t = await buildTestApp()
  const owner = await createUser(t, 'owner')
  const org = await createOrg(t, owner)
  const members = {
    admin: await addMember(t, owner, org, 'admin'),
    editor: await addMember(t, owner, org, 'editor'),
    viewer: await addMember(t, owner, org, 'viewer'),
  }
  const api = as(t, owner)
  const appId = (await api.post(`/v1/organizations/${org.id}/apps`, { name: 'Secured' })).body.data.id
  const deviceId = (
    await api.post(`/v1/organizations/${org.id}/devices`, { platform: 'android', serialNumber: 'SEC-0' })
  ).body.data.id
  const subscriptionId = (await api.post(`/v1/organizations/${org.id}/subscriptions`, { plan: 'pro' })).body
    .data.id
  const tokenId = (await api.post('/v1/users/me/tokens', { name: 'spare' })).body.data.id
  const doomed = await createOrg(t, owner)
  const deletionId = (await api.delete(`/v1/organizations/${doomed.id}`)).body.data.deletionId
  const buildId = (
    await postForm(t, `/v1/organizations/${org.id}/apps/${appId}/builds`, `Bearer ${owner.token}`, [
      ['file', randomFile(64), 'secured.apk'],
    ])
  ).body.data.id
  const newAppToken = async () =>
    (await api.post(`/v1/organizations/${org.id}/apps/${appId}/tokens`, { name: 'ci' })).body.data
  const appTokenId = (await newAppToken()).id
  appToken = (await newAppToken()).token
  const expiredApp = await newAppToken()
  await t.db
    .updateTable('app_tokens')
    .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
    .where('id', '=', expiredApp.id)
    .execute()
  expiredAppToken = expiredApp.token
  const exportId = (await api.post(`/v1/organizations/${org.id}/exports`)).body.data.id
  const webhookId = (
    await api.post(`/v1/organizations/${org.id}/webhooks`, {
      url: 'https://93.184.215.14/hook',
      events: ['*'],
    })
  ).body.data.id
  const deliveryId = (await api.post(`/v1/organizations/${org.id}/webhooks/${webhookId}/test`)).body.data.id
  f = {
    owner,
    org,
    members,
    appId,
    deviceId,
    subscriptionId,
    tokenId,
    deletionId,
    buildId,
    appTokenId,
    exportId,
    webhookId,
    deliveryId,
  }
  stranger = await createUser(t, 'stranger')
  const expired = await createToken(t.db, owner.id, { name: 'old', expiresInDays: 1 })
  await t.db
    .updateTable('tokens')
    .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
    .where('id', '=', expired.id)
    .execute()
  expiredToken = expired.token
})
afterAll(async () => t.close())

interface Spec {
  paths: Record<string, Record<string, { responses: Record<string, OpenApiResponse> }>>
}
interface OpenApiResponse {
  content?: { 'application/json'?: { examples?: Record<string, { value: { error: { code: number } } }> } }
}

/** The error codes the OpenAPI document lists for a route under one HTTP status. */
function documentedCodes(route: RouteCase, status: number): number[] {
  const spec = t.app.swagger() as unknown as Spec
  const operation = spec.paths[route.path.replace(/:(\w+)/g, '{$1}')]?.[route.method.toLowerCase()]
  const examples = operation?.responses[String(status)]?.content?.['application/json']?.examples ?? {}
  return Object.values(examples).map((example) => example.value.error.code)
}

/**
 * The 4004 for `authorization`: bare, except that an API token (`osk_…`, valid or not) on an integration route is
 * told that the route needs an app token.
 */
function invalidToken(route: RouteCase, authorization: string) {
  const wrongKind = route.appToken === true && /^Bearer osk_/.test(authorization)
  return {
    status: 401,
    body: {
      status: false,
      error: {
        code: 4004,
        message: 'Invalid Token',
        ...(wrongKind ? { data: { expected: 'app', reason: expect.any(String) } } : {}),
      },
    },
  }
}

async function send(route: RouteCase, headers: Record<string, string>) {
  const response = await t.app.inject({
    method: route.method,
    url: route.url(f),
    headers,
    ...(route.body ? { payload: route.body } : {}),
  })
  const body = JSON.parse(response.body)
  if (!route.hidden && body.status === false) {
    expect(documentedCodes(route, response.statusCode), 'documented in OpenAPI').toContain(body.error.code)
  }
  return { status: response.statusCode, body }
}

describe('every route', () => {
  it('is in this table, and this table has no route the API lacks', () => {
    const spec = t.app.swagger() as { paths: Record<string, Record<string, unknown>> }
    const documented = Object.entries(spec.paths)
      .flatMap(([path, methods]) =>
        Object.keys(methods).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
      )
      .filter((r) => r.includes(' /v1/'))
      .sort()
    expect(
      ROUTES.filter((r) => !r.hidden)
        .map((r) => `${r.method} ${r.path}`)
        .sort(),
    ).toEqual(documented)
  })

  describe.each(ROUTES)('$method $path', (route) => {
    it('answers 4002 without a token', async () => {
      expect(await send(route, {})).toEqual({
        status: 401,
        body: { status: false, error: { code: 4002, message: 'No auth token' } },
      })
    })

    it('answers 4004 for an unknown, malformed or revoked token', async () => {
      const revoked = await createToken(t.db, f.owner.id, { name: 'revoked' })
      expect((await as(t, f.owner).delete(`/v1/users/me/tokens/${revoked.id}`)).status).toBe(200)
      for (const authorization of [
        `Bearer osk_${'0'.repeat(24)}_${'A'.repeat(43)}`,
        `Bearer ${f.owner.token.slice(0, -1)}${f.owner.token.endsWith('A') ? 'B' : 'A'}`,
        'Bearer',
        'Basic dXNlcjpwYXNz',
        `Bearer ${revoked.token}`,
      ]) {
        expect(await send(route, { authorization }), authorization).toEqual(
          invalidToken(route, authorization),
        )
      }
    })

    it('answers 4004 for a token this process had cached, once another revoked it', async () => {
      const elsewhere = await createToken(t.db, f.owner.id, { name: 'revoked elsewhere' })
      const authorization = `Bearer ${elsewhere.token}`
      // A read that may use the cache fills it …
      expect((await call(t, elsewhere.token, 'GET', o(f))).status).toBe(200)
      // … and another process revokes the token: straight in the database, nothing tells this one.
      await t.db.deleteFrom('tokens').where('id', '=', elsewhere.id).execute()
      expect(await send(route, { authorization })).toEqual(invalidToken(route, authorization))
    })

    it('answers 4005 for an expired token', async () => {
      const expired = route.appToken ? expiredAppToken : expiredToken
      expect(await send(route, { authorization: `Bearer ${expired}` })).toEqual({
        status: 401,
        body: { status: false, error: { code: 4005, message: 'Token Expired' } },
      })
    })

    it('answers 4004 to the other kind of token (an app token here, or a user token on integrations), naming the kind it needs', async () => {
      const other = route.appToken ? f.owner.token : appToken
      const expected = route.appToken ? 'app' : 'api'
      expect(await send(route, { authorization: `Bearer ${other}` })).toEqual({
        status: 401,
        body: {
          status: false,
          error: { code: 4004, message: 'Invalid Token', data: { expected, reason: expect.any(String) } },
        },
      })
    })

    it.runIf(route.org)('answers 3001 to a stranger', async () => {
      expect(await send(route, { authorization: `Bearer ${stranger.token}` })).toEqual({
        status: 404,
        body: { status: false, error: { code: 3001, message: 'Entity not found' } },
      })
    })

    it.runIf(route.deniedTo)('answers 4003 to a member without the permission', async () => {
      const member = f.members[route.deniedTo ?? 'viewer']
      expect(await send(route, { authorization: `Bearer ${member.token}` })).toEqual({
        status: 403,
        body: { status: false, error: { code: 4003, message: 'Forbidden' } },
      })
    })
  })

  it('left the organization intact after all the refused calls', async () => {
    const seen = await call(t, f.owner.token, 'GET', `/v1/organizations/${f.org.id}`)
    expect(seen.status).toBe(200)
    expect(seen.body.data.counts).toEqual({ apps: 1, devices: 1, collaborators: 4 })
    expect(seen.body.data.subscriptions).toEqual([{ id: f.subscriptionId, plan: 'pro', status: 'active' }])
  })
})
