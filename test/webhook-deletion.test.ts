import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { recordFailure } from '../src/deletion/repository.js'
import { ENDPOINT_FAREWELL_MS } from '../src/deletion/lifecycle.js'
import { buildTestApp, type TestApp } from './support/app.js'
import { testDeliveryWorker } from './support/events.js'
import { as, ownerWithOrg } from './support/factories.js'
import { purgeNow, rowsOf } from './support/purge.js'
import { startReceiver, type Receiver } from './support/receiver.js'

// An organization's own endpoints are purged with it: they are sent organization.deleted first, within a bounded
// wait; what follows the purge (deletion.completed, .failed) goes to the instance endpoint.

let t: TestApp
let instance: Receiver
const instanceSecret = `whsec_${randomBytes(32).toString('base64')}`
const receivers: Receiver[] = []
beforeAll(async () => {
  t = await buildTestApp({ WEBHOOK_ALLOW_PRIVATE: 'true' })
  instance = await startReceiver()
})
afterAll(async () => {
  await Promise.all([instance, ...receivers].map((r) => r.close()))
  await t.close()
})

async function receiver(): Promise<Receiver> {
  const r = await startReceiver()
  receivers.push(r)
  return r
}

const worker = () => testDeliveryWorker(t, { WEBHOOK_URL: instance.url, WEBHOOK_SECRET: instanceSecret })

async function receipt(owner: { token: string }, deletionId: string) {
  const reply = await as(t, owner.token).get(`/v1/deletions/${deletionId}`)
  expect(reply.status).toBe(200)
  return reply.body.data
}

const atInstance = (orgId: string, type: string) =>
  instance
    .verified(instanceSecret)
    .filter((r) => r.event.data.organization.id === orgId && r.event.type === type)

describe('deleting an organization with webhook endpoints', () => {
  it('sends organization.deleted to its endpoints before purging them, then deletion.completed to the instance', async () => {
    const hook = await receiver()
    const w = worker()
    try {
      const { owner, org } = await ownerWithOrg(t)
      const made = await as(t, owner).post(`/v1/organizations/${org.id}/webhooks`, {
        url: hook.url,
        events: ['*'],
      })
      await as(t, owner).post(`/v1/organizations/${org.id}/apps`, { name: 'Last app' })
      const deleted = await as(t, owner).delete(`/v1/organizations/${org.id}`)
      expect(deleted.status).toBe(200)
      const { deletionId } = deleted.body.data

      // Held: the purge does everything else, but not the webhooks, and the receipt says why and until when.
      await purgeNow(t.db)
      const held = await receipt(owner, deletionId)
      expect(held.status).toBe('purging')
      const [, until] =
        /webhook endpoints .* organization\.deleted \(until (.+)\)$/.exec(held.waitingFor) ?? []
      expect(Date.parse(until ?? '') - Date.parse(held.requestedAt)).toBe(ENDPOINT_FAREWELL_MS)
      expect((await rowsOf(t.db, org.id)).apps).toBe(0)
      expect((await rowsOf(t.db, org.id)).webhook_endpoints).toBe(1)

      await w.drain() // delivers, and releases the hold once nothing is pending for the endpoints
      const sent = hook.verified(made.body.data.secret).map((r) => r.event.type)
      expect(sent).toEqual(['app.created', 'organization.deleted'])
      expect((await receipt(owner, deletionId)).waitingFor).toBeNull()

      await purgeNow(t.db)
      const done = await receipt(owner, deletionId)
      expect(done).toMatchObject({ status: 'completed', waitingFor: null })
      expect(done.counts).toMatchObject({ apps: 1, webhooks: 1, webhookDeliveries: 2 })
      const left = await rowsOf(t.db, org.id)
      for (const [table, n] of Object.entries(left)) expect(n, table).toBe(table === 'deletions' ? 1 : 0)

      await w.drain()
      const [completed] = atInstance(org.id, 'organization.deletion.completed')
      expect(completed?.event.data).toMatchObject({
        deletionId,
        organization: { id: org.id, slug: org.slug, name: org.name },
        requestedBy: { id: owner.id, email: owner.email },
        counts: done.counts,
        completedAt: done.completedAt,
      })
      expect(atInstance(org.id, 'organization.deleted')).toHaveLength(1)
      expect(hook.received).toHaveLength(2) // the organization's own endpoint never gets deletion.completed
      // Nothing of the organization is left in the outbox or the instance's queue once all is sent.
      expect(
        await t.db.selectFrom('events').select('id').where('source_organization_id', '=', org.id).execute(),
      ).toEqual([])
      expect(await t.db.selectFrom('instance_deliveries').select('id').execute()).toEqual([])
    } finally {
      await w.close()
    }
  })

  it('does not let a dead endpoint hold the purge past the bounded wait', async () => {
    const dead = await receiver()
    dead.respond = () => 503
    const w = worker()
    try {
      const { owner, org } = await ownerWithOrg(t)
      await as(t, owner).post(`/v1/organizations/${org.id}/webhooks`, {
        url: dead.url,
        events: ['organization.deleted'],
      })
      const { deletionId } = (await as(t, owner).delete(`/v1/organizations/${org.id}`)).body.data
      await w.drain()
      expect(dead.received.map((r) => r.event.type)).toEqual(['organization.deleted'])
      await purgeNow(t.db)
      const held = await receipt(owner, deletionId)
      expect(held.status).toBe('purging')
      expect(held.waitingFor).not.toBeNull()

      // The wait runs out (moved here rather than waited for): the purge takes the endpoints and their log.
      await t.db
        .updateTable('purge_tasks')
        .set({ lease_expires_at: new Date(Date.now() - 1).toISOString() })
        .where('deletion_id', '=', deletionId)
        .where('lease_owner', 'is not', null)
        .execute()
      await purgeNow(t.db)
      expect(await receipt(owner, deletionId)).toMatchObject({ status: 'completed', waitingFor: null })
      expect(await rowsOf(t.db, org.id)).toMatchObject({ webhook_endpoints: 0, webhook_deliveries: 0 })
      w.clock.advance(3_600_000)
      await w.drain()
      expect(dead.received).toHaveLength(1) // its retries went with it
    } finally {
      await w.close()
    }
  })

  it('without endpoints, the purge waits for nothing; events no worker dispatched go with the organization', async () => {
    const { owner, org } = await ownerWithOrg(t)
    await as(t, owner).post(`/v1/organizations/${org.id}/apps`, { name: 'undispatched-app-name' })
    const { deletionId } = (await as(t, owner).delete(`/v1/organizations/${org.id}`)).body.data
    expect((await receipt(owner, deletionId)).waitingFor).toBeNull()
    await purgeNow(t.db)
    expect((await receipt(owner, deletionId)).status).toBe('completed')
    const outbox = await t.db
      .selectFrom('events')
      .select(['type', 'body'])
      .where('source_organization_id', '=', org.id)
      .execute()
    // What the receipt says anyway stays until it is sent; the organization's content does not.
    expect(outbox.map((e) => e.type).sort()).toEqual([
      'organization.deleted',
      'organization.deletion.completed',
    ])
    expect(JSON.stringify(outbox)).not.toContain('undispatched-app-name')
    const w = worker()
    try {
      await w.drain()
      expect(atInstance(org.id, 'organization.deleted')).toHaveLength(1)
      expect(atInstance(org.id, 'organization.deletion.completed')).toHaveLength(1)
      expect(atInstance(org.id, 'app.created')).toHaveLength(0)
    } finally {
      await w.close()
    }
  })
})

describe('deletion.failed and restored', () => {
  it('a purge that starts failing emits organization.deletion.failed once, to the instance endpoint', async () => {
    const hook = await receiver()
    const w = worker()
    try {
      const { owner, org } = await ownerWithOrg(t)
      await as(t, owner).post(`/v1/organizations/${org.id}/webhooks`, { url: hook.url, events: ['*'] })
      const { deletionId } = (await as(t, owner).delete(`/v1/organizations/${org.id}`)).body.data
      const retryAt = new Date(Date.now() + 60_000).toISOString()
      await recordFailure(t.db, deletionId, 'purging apps failed (57014); retrying', retryAt)
      await recordFailure(t.db, deletionId, 'purging apps failed (57014); retrying', retryAt)
      await w.drain()
      const failed = atInstance(org.id, 'organization.deletion.failed')
      expect(failed).toHaveLength(1)
      expect(failed[0]?.event.data).toMatchObject({
        deletionId,
        attempts: 1,
        retryAt,
        reason: expect.stringMatching(/apps/),
      })
      expect(hook.received.map((r) => r.event.type)).toEqual(['organization.deleted'])
    } finally {
      await w.close()
    }
  })

  it('with a grace period: deleted on DELETE with its restore deadline, restored on restore, completed after the purge', async () => {
    const GRACE = 3_600
    const later = () => Date.now() + (GRACE + 1) * 1000
    const graced = await buildTestApp({
      WEBHOOK_ALLOW_PRIVATE: 'true',
      DELETION_GRACE_SECONDS: String(GRACE),
    })
    const hook = await receiver()
    const w = testDeliveryWorker(graced, { WEBHOOK_URL: instance.url, WEBHOOK_SECRET: instanceSecret })
    try {
      const { owner, org } = await ownerWithOrg(graced)
      const made = await as(graced, owner).post(`/v1/organizations/${org.id}/webhooks`, {
        url: hook.url,
        events: ['*'],
      })
      const secret: string = made.body.data.secret
      const ofOrg = () => hook.verified(secret).map((r) => r.event)

      const first = (await as(graced, owner).delete(`/v1/organizations/${org.id}`)).body.data
      expect(first.purgeAt).toEqual(expect.any(String))
      await w.drain()
      expect(ofOrg().map((e) => e.type)).toEqual(['organization.deleted'])
      expect(ofOrg()[0]?.data).toMatchObject({ deletionId: first.deletionId, restoreDeadline: first.purgeAt })

      const restored = await as(graced, owner).post(`/v1/deletions/${first.deletionId}/restore`)
      expect(restored.body.data.status).toBe('restored')
      // A restore refused (not scheduled any more) rolls back and emits nothing.
      expect((await as(graced, owner).post(`/v1/deletions/${first.deletionId}/restore`)).status).toBe(409)
      await w.drain()
      // The organization's endpoint came back with it, and hears of it.
      expect(ofOrg().map((e) => e.type)).toEqual(['organization.deleted', 'organization.restored'])
      expect(ofOrg()[1]?.data).toMatchObject({
        deletionId: first.deletionId,
        actor: { id: owner.id, email: owner.email },
      })
      expect(atInstance(org.id, 'organization.restored')).toHaveLength(1)

      const second = (await as(graced, owner).delete(`/v1/organizations/${org.id}`)).body.data
      await purgeNow(graced.db, { clock: later }) // due now: purges all but the webhooks, held for the farewell
      expect((await rowsOf(graced.db, org.id)).webhook_endpoints).toBe(1)
      expect(atInstance(org.id, 'organization.deletion.completed')).toHaveLength(0)
      await w.drain()
      await purgeNow(graced.db, { clock: later })
      const done = (await as(graced, owner).get(`/v1/deletions/${second.deletionId}`)).body.data
      expect(done.status).toBe('completed')
      await w.drain()
      expect(ofOrg().map((e) => e.type)).toEqual([
        'organization.deleted',
        'organization.restored',
        'organization.deleted',
      ])
      const completed = atInstance(org.id, 'organization.deletion.completed')
      expect(completed.map((c) => c.event.data.deletionId)).toEqual([second.deletionId])
      expect(atInstance(org.id, 'organization.deleted')).toHaveLength(2)
    } finally {
      await w.close()
      await graced.close()
    }
  })
})
