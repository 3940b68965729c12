import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Resolver } from '../src/webhooks/address-policy.js'
import { MAX_ENDPOINTS } from '../src/webhooks/service.js'
import { buildTestApp, type TestApp } from './support/app.js'
import { testDeliveryWorker } from './support/events.js'
import { addMember, as, expectValidation, ownerWithOrg } from './support/factories.js'
import { startReceiver, type Receiver } from './support/receiver.js'

// The endpoints API, and the address guard: when a URL is saved, and when a delivery connects.

/** Names the tests make resolve where they need; anything else goes to the system's resolver. */
const names = new Map<string, string[]>()
const PUBLIC = '93.184.215.14'
const resolveHost: Resolver = async (hostname) => {
  const addresses = names.get(hostname)
  if (addresses) return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))
  const { lookup } = await import('node:dns/promises')
  return lookup(hostname, { all: true })
}

let t: TestApp
let receiver: Receiver
beforeAll(async () => {
  // Without WEBHOOK_ALLOW_PRIVATE: the guard is on, as in production.
  t = await buildTestApp({}, { resolveHost })
  receiver = await startReceiver()
})
afterAll(async () => {
  await receiver.close()
  await t.close()
})

const hooks = (orgId: string) => `/v1/organizations/${orgId}/webhooks`

describe('webhook endpoints', () => {
  it('creates an endpoint and shows its secret once; lists, changes and removes it', async () => {
    const { owner, org } = await ownerWithOrg(t)
    const api = as(t, owner)
    const created = await api.post(hooks(org.id), {
      url: 'https://93.184.215.14/in',
      events: ['app.created', 'organization.deleted'],
      description: 'billing',
    })
    expect(created.status).toBe(200)
    const { secret, ...endpoint } = created.body.data
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    expect(endpoint).toEqual({
      id: expect.stringMatching(/^[a-f0-9]{24}$/),
      url: 'https://93.184.215.14/in',
      events: ['app.created', 'organization.deleted'],
      description: 'billing',
      enabled: true,
      createdAt: expect.any(String),
    })
    const listed = await api.get(hooks(org.id))
    expect(listed.body.data).toMatchObject({ items: [endpoint], totalDocs: 1, page: 1 })
    expect(JSON.stringify(listed.body)).not.toContain(secret)

    const changed = await api.put(`${hooks(org.id)}/${endpoint.id}`, { events: ['*'], enabled: false })
    expect(changed.status).toBe(200)
    expect(changed.body.data).toEqual({ ...endpoint, events: ['*'], enabled: false })
    expect(JSON.stringify(changed.body)).not.toContain(secret)
    const enabled = await api.put(`${hooks(org.id)}/${endpoint.id}`, { enabled: true, description: '' })
    expect(enabled.body.data).toEqual({ ...endpoint, events: ['*'], enabled: true, description: '' })

    expect((await api.delete(`${hooks(org.id)}/${endpoint.id}`)).body).toEqual({
      status: true,
      data: { delete: 'OK' },
    })
    expect((await api.get(hooks(org.id))).body.data.totalDocs).toBe(0)
    const again = await api.put(`${hooks(org.id)}/${endpoint.id}`, { enabled: false })
    expect(again.status).toBe(404)
    const audit = (await api.get(`/v1/organizations/${org.id}/audit?limit=100`)).body.data.items
    expect(audit.map((a: { action: string }) => a.action)).toEqual(
      expect.arrayContaining(['webhook.create', 'webhook.update', 'webhook.remove']),
    )
  })

  it('is for owners and admins only, and never another organization’s', async () => {
    const { owner, org } = await ownerWithOrg(t)
    const admin = await addMember(t, owner, org, 'admin')
    const editor = await addMember(t, owner, org, 'editor')
    const body = { url: 'https://93.184.215.14/a', events: ['*'] }
    const made = await as(t, admin).post(hooks(org.id), body)
    expect(made.status).toBe(200)
    expect((await as(t, editor).get(hooks(org.id))).body.error.code).toBe(4003)
    expect((await as(t, editor).post(hooks(org.id), body)).body.error.code).toBe(4003)
    const other = await ownerWithOrg(t)
    const foreign = `${hooks(other.org.id)}/${made.body.data.id}`
    expect((await as(t, other.owner).put(foreign, { enabled: false })).body.error.code).toBe(3001)
    expect((await as(t, other.owner).delete(foreign)).body.error.code).toBe(3001)
    expect((await as(t, other.owner).get(`${foreign}/deliveries`)).body.error.code).toBe(3001)
  })

  it('refuses what cannot be an endpoint with 3000, naming the field', async () => {
    const { owner, org } = await ownerWithOrg(t)
    const api = as(t, owner)
    const good = { url: 'https://93.184.215.14/', events: ['*'] }
    for (const url of ['ftp://93.184.215.14/', 'not a url', 'https://user:pw@93.184.215.14/', ''])
      expectValidation(await api.post(hooks(org.id), { ...good, url }), '/body/url')
    for (const events of [[], ['app.exploded'], ['*', 'app.created'], ['app.created', 'app.created']]) {
      const reply = await api.post(hooks(org.id), { ...good, events })
      expect(reply.body.error.code, JSON.stringify(events)).toBe(3000)
      const paths = reply.body.error.data.errors.map((e: { path: string }) => e.path)
      expect(
        paths.some((p: string) => p.startsWith('/body/events')),
        JSON.stringify(paths),
      ).toBe(true)
    }
    // They happen after the organization and its endpoints are gone: only the instance endpoint gets them.
    const afterPurge = await api.post(hooks(org.id), { ...good, events: ['organization.deletion.completed'] })
    expect(afterPurge.status).toBe(400)
    expect(afterPurge.body.error.data.errors[0].path).toBe('/body/events/0')
    expectValidation(
      await api.post(hooks(org.id), { ...good, description: 'x'.repeat(501) }),
      '/body/description',
    )
    expectValidation(await api.post(hooks(org.id), { events: ['*'] }), '/body/url')
    expect((await api.get(hooks(org.id))).body.data.totalDocs).toBe(0)
  })

  it(`holds at most ${MAX_ENDPOINTS} endpoints per organization`, async () => {
    const { owner, org } = await ownerWithOrg(t)
    for (let i = 0; i < MAX_ENDPOINTS; i++)
      expect(
        (await as(t, owner).post(hooks(org.id), { url: `https://93.184.215.14/${i}`, events: ['*'] })).status,
      ).toBe(200)
    const over = await as(t, owner).post(hooks(org.id), { url: 'https://93.184.215.14/x', events: ['*'] })
    expect(over.status).toBe(409)
    expect(over.body.error.code).toBe(5001)
  })
})

describe('the address guard when an endpoint is saved', () => {
  it.each([
    'http://127.0.0.1/hook',
    'http://10.0.0.5/hook',
    'http://192.168.1.20:8080/hook',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::1]/hook',
    'http://[::ffff:127.0.0.1]/hook',
    'http://[fd00:ec2::254]/',
    'http://0.0.0.0:9000/',
    'http://2130706433/',
    'http://localhost:8080/hook',
    'http://intranet.orgspace.test/hook',
  ])('refuses %s with 3000', async (url) => {
    names.set('intranet.orgspace.test', ['10.1.2.3'])
    const { owner, org } = await ownerWithOrg(t)
    const created = await as(t, owner).post(hooks(org.id), { url, events: ['*'] })
    expectValidation(created, '/body/url')
    expect(created.body.error.data.errors[0].message).toMatch(/non-public/)
  })

  it('refuses a name that resolves to any private address, also on update; takes a public one', async () => {
    names.set('mixed.orgspace.test', [PUBLIC, '127.0.0.1'])
    names.set('public.orgspace.test', [PUBLIC])
    const { owner, org } = await ownerWithOrg(t)
    const api = as(t, owner)
    expectValidation(
      await api.post(hooks(org.id), { url: 'https://mixed.orgspace.test/', events: ['*'] }),
      '/body/url',
    )
    const made = await api.post(hooks(org.id), { url: 'https://public.orgspace.test/', events: ['*'] })
    expect(made.status).toBe(200)
    const moved = await api.put(`${hooks(org.id)}/${made.body.data.id}`, { url: 'http://[::1]:81/' })
    expectValidation(moved, '/body/url')
    expect((await api.get(hooks(org.id))).body.data.items[0].url).toBe('https://public.orgspace.test/')
  })
})

describe('the address guard when a delivery connects', () => {
  it('refuses a name that now resolves to a loopback address (DNS rebinding): nothing is sent', async () => {
    const host = 'rebind.orgspace.test'
    names.set(host, [PUBLIC])
    const { owner, org } = await ownerWithOrg(t)
    const port = new URL(receiver.url).port
    const made = await as(t, owner).post(hooks(org.id), { url: `http://${host}:${port}/hook`, events: ['*'] })
    expect(made.status).toBe(200)
    names.set(host, ['127.0.0.1'])
    const worker = testDeliveryWorker(t, { WEBHOOK_ALLOW_PRIVATE: 'false' }, resolveHost)
    try {
      const before = receiver.received.length
      await as(t, owner).post(`/v1/organizations/${org.id}/apps`, { name: 'Rebound' })
      await worker.drain()
      expect(receiver.received.length).toBe(before)
      const [delivery] = (await as(t, owner).get(`${hooks(org.id)}/${made.body.data.id}/deliveries`)).body
        .data.items
      expect(delivery).toMatchObject({
        eventType: 'app.created',
        status: 'pending',
        attempt: 1,
        responseStatus: null,
      })
      expect(worker.outcomes).toContainEqual({ queue: 'endpoint', outcome: 'retrying' })
    } finally {
      await worker.close()
    }
  })

  it('connects to the address it checked, keeping the name in the Host header', async () => {
    const host = 'pinned.orgspace.test'
    names.set(host, [PUBLIC])
    const { owner, org } = await ownerWithOrg(t)
    const port = new URL(receiver.url).port
    const made = await as(t, owner).post(hooks(org.id), { url: `http://${host}:${port}/hook`, events: ['*'] })
    names.set(host, ['127.0.0.1'])
    // With the guard off, the name's one address is the receiver's: only a connection to it can arrive there.
    const worker = testDeliveryWorker(t, { WEBHOOK_ALLOW_PRIVATE: 'true' }, resolveHost)
    try {
      await as(t, owner).post(`/v1/organizations/${org.id}/apps`, { name: 'Pinned' })
      await worker.drain()
      const arrived = receiver.received.filter((r) => r.event.data.organization?.id === org.id)
      expect(arrived.map((r) => r.event.type)).toEqual(['app.created'])
      expect(arrived[0]?.headers.host).toBe(`${host}:${port}`)
      receiver.received.length = 0
      expect(made.body.data.secret).toMatch(/^whsec_/)
    } finally {
      await worker.close()
    }
  })
})
