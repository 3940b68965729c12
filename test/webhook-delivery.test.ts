import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Permission } from '../src/core/permissions.js'
import { emitEvent } from '../src/outbox/emit.js'
import { changeOrganization } from '../src/organizations/write.js'
import { buildTestApp, type TestApp } from './support/app.js'
import { testDeliveryWorker } from './support/events.js'
import {
  addMember,
  as,
  createOrg,
  createUser,
  ownerWithOrg,
  type TestOrg,
  type TestUser,
} from './support/factories.js'
import { purgeNow } from './support/purge.js'
import { waitFor } from './support/processes.js'
import { postForm, randomFile } from './support/uploads.js'
import { startReceiver, type Receiver } from './support/receiver.js'

// Deliveries to real receivers on 127.0.0.1, every signature checked with the `standardwebhooks` package.

let t: TestApp
const receivers: Receiver[] = []
beforeAll(async () => {
  // The receivers are on 127.0.0.1: the address guard has its own tests (webhooks.test.ts, webhooks.unit.test.ts).
  t = await buildTestApp({ WEBHOOK_ALLOW_PRIVATE: 'true' })
})
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()))
  await t.close()
})

async function receiver(): Promise<Receiver> {
  const r = await startReceiver()
  receivers.push(r)
  return r
}

const instanceSecret = () => `whsec_${randomBytes(32).toString('base64')}`

async function addEndpoint(owner: TestUser, org: TestOrg, url: string, events: string[] = ['*']) {
  const reply = await as(t, owner).post(`/v1/organizations/${org.id}/webhooks`, { url, events })
  expect(reply.status, JSON.stringify(reply.body)).toBe(200)
  return reply.body.data as { id: string; secret: string }
}

async function deliveriesOf(owner: TestUser, org: TestOrg, webhookId: string) {
  const reply = await as(t, owner).get(
    `/v1/organizations/${org.id}/webhooks/${webhookId}/deliveries?limit=100`,
  )
  expect(reply.status).toBe(200)
  return reply.body.data.items as Array<Record<string, any>>
}

function typeCounts(received: Array<{ event: { type: string } }>): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const r of received) counts[r.event.type] = (counts[r.event.type] ?? 0) + 1
  return counts
}

describe('every change', () => {
  it('arrives once at each endpoint that subscribes, signed, with one webhook-id per event', async () => {
    const orgHook = await receiver()
    const instanceHook = await receiver()
    const secret = instanceSecret()
    const worker = testDeliveryWorker(t, { WEBHOOK_URL: instanceHook.url, WEBHOOK_SECRET: secret })
    try {
      const owner = await createUser(t, 'owner')
      const org = await createOrg(t, owner)
      const endpoint = await addEndpoint(owner, org, orgHook.url)
      const api = as(t, owner)
      const o = `/v1/organizations/${org.id}`
      expect((await api.put(o, { name: 'Renamed' })).status).toBe(200)
      const admin = await addMember(t, owner, org, 'admin')
      const heir = await addMember(t, owner, org, 'admin')
      expect((await api.put(`${o}/collaborators/${admin.collaboratorId}`, { role: 'editor' })).status).toBe(
        200,
      )
      expect((await api.delete(`${o}/collaborators/${admin.collaboratorId}`)).status).toBe(200)
      const app = (await api.post(`${o}/apps`, { name: 'Payroll' })).body.data
      expect((await api.put(`${o}/apps/${app.id}`, { description: 'pays' })).status).toBe(200)
      const builds = `${o}/apps/${app.id}/builds`
      const upload = async (url: string, auth: string, field: string) => {
        const reply = await postForm(t, url, auth, [[field, randomFile(64), 'Payroll.apk']])
        expect(reply.status, JSON.stringify(reply.body)).toBe(200)
        return reply.body.data as { id: string }
      }
      const build = await upload(builds, `Bearer ${owner.token}`, 'file')
      expect((await api.delete(`${builds}/${build.id}`)).status).toBe(200)
      const ciToken = (await api.post(`${o}/apps/${app.id}/tokens`, { name: 'ci' })).body.data.token
      const ciBuild = await upload('/v1/integrations/builds', `Bearer ${ciToken}`, 'build')
      expect((await api.delete(`${o}/apps/${app.id}`)).status).toBe(200)
      const device = (await api.post(`${o}/devices`, { platform: 'apple', serialNumber: 'SN-1' })).body.data
      expect((await api.delete(`${o}/devices/${device.id}`)).status).toBe(200)
      const subscription = (await api.post(`${o}/subscriptions`, { plan: 'pro' })).body.data
      expect((await api.post(`${o}/subscriptions/${subscription.id}/cancel`)).status).toBe(200)
      expect((await api.post(`${o}/change-owner`, { newOwner: heir.email })).status).toBe(200)
      expect((await as(t, heir).delete(o)).status).toBe(200)

      await worker.drain()
      await purgeNow(t.db) // the endpoints have been served: nothing holds the purge
      await worker.drain()

      const asOrg = {
        'organization.updated': 1,
        'collaborator.added': 2,
        'collaborator.role_changed': 1,
        'collaborator.removed': 1,
        'app.created': 1,
        'app.updated': 1,
        'app.deleted': 1,
        'build.uploaded': 2,
        'build.deleted': 1,
        'device.enrolled': 1,
        'device.unenrolled': 1,
        'subscription.created': 1,
        'subscription.canceled': 1,
        'organization.owner_changed': 1,
        'organization.deleted': 1,
      }
      const atOrg = orgHook.verified(endpoint.secret)
      expect(typeCounts(atOrg)).toEqual(asOrg)
      const atInstance = instanceHook.verified(secret).filter((r) => r.event.data.organization.id === org.id)
      expect(typeCounts(atInstance)).toEqual({
        'organization.created': 1,
        ...asOrg,
        'organization.deletion.completed': 1,
      })

      // One id per event: distinct across events, the same for an event at both endpoints, body and all.
      const ids = atOrg.map((r) => r.headers['webhook-id'])
      expect(new Set(ids).size).toBe(atOrg.length)
      for (const r of atOrg) {
        const twin = atInstance.find((i) => i.headers['webhook-id'] === r.headers['webhook-id'])
        expect(twin?.body).toBe(r.body)
      }
      const created = atOrg.find((r) => r.event.type === 'app.created')
      expect(created?.event.data).toMatchObject({
        organization: { id: org.id, name: 'Renamed' },
        actor: { id: owner.id, email: owner.email },
        app: { id: app.id, name: 'Payroll' },
      })
      // A build uploaded by CI is told as its token's creator's.
      const uploads = atOrg.filter((r) => r.event.type === 'build.uploaded').map((r) => r.event.data)
      expect(uploads).toEqual([
        expect.objectContaining({ build: expect.objectContaining({ id: build.id, applicationId: app.id }) }),
        expect.objectContaining({
          actor: { id: owner.id, email: owner.email },
          build: expect.objectContaining({ id: ciBuild.id, fileName: 'Payroll.apk' }),
        }),
      ])
      const completed = atInstance.find((r) => r.event.type === 'organization.deletion.completed')
      expect(completed?.event.data.counts).toMatchObject({ apps: 0, devices: 0, collaborators: 2 })
      expect(completed?.event.data.requestedBy).toEqual({ id: heir.id, email: heir.email })
      expect(Object.keys(completed?.event ?? {}).sort()).toEqual(['data', 'timestamp', 'type'])
    } finally {
      await worker.close()
    }
  })

  it('is not sent when it was rolled back, nor when the change was refused', async () => {
    const hook = await receiver()
    const worker = testDeliveryWorker(t)
    try {
      const { owner, org } = await ownerWithOrg(t)
      await addEndpoint(owner, org, hook.url)
      const outbox = async () =>
        (
          await t.db
            .selectFrom('events')
            .select('id')
            .where('source_organization_id', '=', org.id)
            .where('type', '=', 'app.created')
            .execute()
        ).length
      const auth = { userId: owner.id, email: owner.email, name: '', tokenId: '', organizationId: null }
      await expect(
        changeOrganization(t.db, auth, org.id, Permission.AppCreate, async ({ emit }) => {
          await emit('app.created', { app: { id: 'never' } })
          throw new Error('the change fails after its event was written')
        }),
      ).rejects.toThrow('the change fails')
      expect(await outbox()).toBe(0)
      await as(t, owner).post(`/v1/organizations/${org.id}/apps`, { name: 'One', slug: 'one' })
      const refused = await as(t, owner).post(`/v1/organizations/${org.id}/apps`, {
        name: 'Two',
        slug: 'one',
      })
      expect(refused.status).toBe(409)
      await worker.drain()
      expect(hook.received.map((r) => r.event.data.app.name)).toEqual(['One'])
      expect(await outbox()).toBe(0)
    } finally {
      await worker.close()
    }
  })
})

describe('a backlog', () => {
  it("larger than the worker's slots is delivered as slots free up, not at the next poll", async () => {
    // The poll is an hour away: every delivery after the first few slots' worth must go because an attempt
    // ending made room. A receiver that answers after a moment keeps attempts ending while the worker claims.
    const hook = await receiver()
    hook.respond = () => new Promise((resolve) => setTimeout(() => resolve(200), 5))
    const worker = testDeliveryWorker(t, { WEBHOOK_CONCURRENCY: '4', EVENT_POLL_MS: '600000' })
    try {
      const { owner, org } = await ownerWithOrg(t)
      await addEndpoint(owner, org, hook.url)
      const events = 120
      await t.db.transaction().execute(async (trx) => {
        for (let i = 0; i < events; i++)
          await emitEvent(trx, {
            type: 'app.created',
            organization: { id: org.id, slug: org.slug, name: org.name },
            actor: null,
            data: { app: { id: `app-${i}`, name: `Backlog ${i}` } },
          })
      })
      worker.worker.start()
      await waitFor(
        () => hook.received.length >= events,
        25_000,
        () => `${hook.received.length} of ${events} delivered`,
      )
      expect(new Set(hook.received.map((r) => r.event.data.app.id)).size).toBe(events)
    } finally {
      await worker.close()
    }
  })
})

describe('retries', () => {
  it('a receiver failing 3 times gets the event on the 4th attempt, same id and body, on the schedule', async () => {
    const hook = await receiver()
    hook.respond = (_r, i) => (i < 3 ? 503 : 204)
    const worker = testDeliveryWorker(t)
    try {
      const { owner, org } = await ownerWithOrg(t)
      const endpoint = await addEndpoint(owner, org, hook.url, ['app.created'])
      await as(t, owner).post(`/v1/organizations/${org.id}/apps`, { name: 'Retried' })
      await as(t, owner).post(`/v1/organizations/${org.id}/devices`, {
        platform: 'android',
        serialNumber: 'x',
      })

      await worker.drain()
      expect(hook.received).toHaveLength(1)
      const [first] = await deliveriesOf(owner, org, endpoint.id)
      expect(first).toMatchObject({
        eventType: 'app.created',
        attempt: 1,
        status: 'pending',
        responseStatus: 503,
      })
      // 5 s ± 20 % after the first attempt ended (the clock has not been moved yet; a busy machine may take a
      // moment between the answer and its record).
      const wait = Date.parse(first?.nextAttemptAt) - (hook.received[0]?.at ?? 0)
      expect(wait).toBeGreaterThanOrEqual(4_000)
      expect(wait).toBeLessThanOrEqual(6_000 + 2_000)

      await worker.drain() // nothing is due yet
      expect(hook.received).toHaveLength(1)
      for (const [advance, total] of [
        [6_000, 2],
        [6 * 60_000, 3],
        [36 * 60_000, 4],
      ] as const) {
        worker.clock.advance(advance)
        await worker.drain()
        expect(hook.received).toHaveLength(total)
      }
      const attempts = hook.verified(endpoint.secret)
      expect(new Set(attempts.map((r) => r.headers['webhook-id'])).size).toBe(1)
      expect(new Set(attempts.map((r) => r.body)).size).toBe(1)
      const [done] = await deliveriesOf(owner, org, endpoint.id)
      expect(done).toMatchObject({
        attempt: 4,
        status: 'delivered',
        responseStatus: 204,
        nextAttemptAt: null,
      })
      expect(done?.eventId).toBe(attempts[0]?.headers['webhook-id'])
    } finally {
      await worker.close()
    }
  })

  it('gives up after the last attempt of the schedule, about a day later; a manual retry sends it again', async () => {
    const hook = await receiver()
    hook.respond = () => 500
    const worker = testDeliveryWorker(t)
    try {
      const { owner, org } = await ownerWithOrg(t)
      const endpoint = await addEndpoint(owner, org, hook.url, ['app.created'])
      await as(t, owner).post(`/v1/organizations/${org.id}/apps`, { name: 'Doomed' })
      const start = worker.clock.now()
      await worker.drain()
      for (let i = 0; i < 20 && hook.received.length < 9; i++) {
        worker.clock.advance(11 * 3_600_000)
        await worker.drain()
      }
      expect(hook.received).toHaveLength(8)
      const [failed] = await deliveriesOf(owner, org, endpoint.id)
      expect(failed).toMatchObject({ attempt: 8, status: 'failed', responseStatus: 500, nextAttemptAt: null })
      expect(worker.clock.now() - start).toBeGreaterThan(20 * 3_600_000)

      hook.respond = () => 200
      const url = `/v1/organizations/${org.id}/webhooks/${endpoint.id}/deliveries/${failed?.id}/retry`
      const retried = await as(t, owner).post(url)
      expect(retried.status).toBe(200)
      expect(retried.body.data).toMatchObject({ id: failed?.id, status: 'pending' })
      expect((await as(t, owner).post(url)).body.error).toMatchObject({ code: 5001 })
      await worker.drain()
      expect(hook.received).toHaveLength(9)
      expect(new Set(hook.verified(endpoint.secret).map((r) => r.headers['webhook-id'])).size).toBe(1)
      const [delivered] = await deliveriesOf(owner, org, endpoint.id)
      expect(delivered).toMatchObject({ attempt: 9, status: 'delivered', responseStatus: 200 })
    } finally {
      await worker.close()
    }
  })

  it('410 Gone disables the endpoint: nothing more is sent to it', async () => {
    const gone = await receiver()
    gone.respond = () => 410
    const alive = await receiver()
    const worker = testDeliveryWorker(t)
    try {
      const { owner, org } = await ownerWithOrg(t)
      const dead = await addEndpoint(owner, org, gone.url, ['app.created'])
      const live = await addEndpoint(owner, org, alive.url, ['app.created'])
      await as(t, owner).post(`/v1/organizations/${org.id}/apps`, { name: 'First' })
      await worker.drain()
      expect(gone.received).toHaveLength(1)
      const list = (await as(t, owner).get(`/v1/organizations/${org.id}/webhooks`)).body.data.items
      expect(list.find((w: { id: string }) => w.id === dead.id)?.enabled).toBe(false)
      expect(list.find((w: { id: string }) => w.id === live.id)?.enabled).toBe(true)
      const [first] = await deliveriesOf(owner, org, dead.id)
      expect(first).toMatchObject({ status: 'failed', responseStatus: 410, attempt: 1, nextAttemptAt: null })

      await as(t, owner).post(`/v1/organizations/${org.id}/apps`, { name: 'Second' })
      worker.clock.advance(86_400_000)
      await worker.drain()
      expect(gone.received).toHaveLength(1)
      expect(alive.received.map((r) => r.event.data.app.name)).toEqual(['First', 'Second'])
      expect(await deliveriesOf(owner, org, dead.id)).toHaveLength(1)
      expect(worker.outcomes.filter((o) => o.outcome === 'disabled')).toHaveLength(1)
    } finally {
      await worker.close()
    }
  })
})

describe('POST /webhooks/:webhookId/test', () => {
  it('sends webhook.test to that endpoint only, through its delivery log', async () => {
    const hook = await receiver()
    const other = await receiver()
    const instanceHook = await receiver()
    const worker = testDeliveryWorker(t, { WEBHOOK_URL: instanceHook.url, WEBHOOK_SECRET: instanceSecret() })
    try {
      const { owner, org } = await ownerWithOrg(t)
      const endpoint = await addEndpoint(owner, org, hook.url)
      await addEndpoint(owner, org, other.url)
      const reply = await as(t, owner).post(`/v1/organizations/${org.id}/webhooks/${endpoint.id}/test`)
      expect(reply.status).toBe(200)
      expect(reply.body.data).toMatchObject({ eventType: 'webhook.test', status: 'pending', attempt: 0 })
      await worker.drain()
      const [received] = hook.verified(endpoint.secret)
      expect(received?.event).toMatchObject({ type: 'webhook.test', data: { webhook: { id: endpoint.id } } })
      expect(received?.headers['webhook-id']).toBe(reply.body.data.eventId)
      expect(other.received).toHaveLength(0)
      // The instance endpoint gets every organization's events, but not an endpoint's test.
      expect(instanceHook.received.filter((r) => r.event.type === 'webhook.test')).toHaveLength(0)
      const [logged] = await deliveriesOf(owner, org, endpoint.id)
      expect(logged).toMatchObject({
        id: reply.body.data.id,
        status: 'delivered',
        attempt: 1,
        responseStatus: 200,
      })
      expect(logged?.durationMs).toBeGreaterThanOrEqual(0)
    } finally {
      await worker.close()
    }
  })
})
