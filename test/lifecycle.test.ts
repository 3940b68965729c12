import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { placeLegalHold, releaseLegalHold } from '../src/deletion/legal-holds.js'
import { deletionReceipt, pauseDeletions } from '../src/deletion/operator.js'
import { buildTestApp, type TestApp } from './support/app.js'
import { addMember, as, createOrg, createUser, type TestOrg, type TestUser } from './support/factories.js'
import { purgeNow } from './support/purge.js'
import { objectsUnder, postForm, randomFile, sha256 } from './support/uploads.js'
import { ORGANIZATION_TABLES } from './support/tenant-tables.js'

// docs/api.md §8: an opt-in grace period with restore, slug quarantine, legal holds and an operator's pause.
// Time is moved forward by the purge worker's clock, never by sleeping.

const GRACE = 3_600
const QUARANTINE = 7_200
const later = (seconds: number) => () => Date.now() + seconds * 1000

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp({
    DELETION_GRACE_SECONDS: String(GRACE),
    SLUG_QUARANTINE_SECONDS: String(QUARANTINE),
  })
})
afterAll(async () => t.close())

/** Every row the organization has, table by table (the organizations row included), in a stable order. */
async function everyRowOf(organizationId: string): Promise<Record<string, unknown[]>> {
  const rows: Record<string, unknown[]> = {}
  for (const table of [...ORGANIZATION_TABLES, 'organizations']) {
    const column = table === 'organizations' ? 'id' : 'organization_id'
    rows[table] = (
      await sql`select * from ${sql.table(table)} where ${sql.ref(column)} = ${organizationId} order by id`.execute(
        t.db,
      )
    ).rows
  }
  return rows
}

/** An organization with something in every table: members, an app, devices, a canceled subscription, tokens. */
async function fullOrganization(): Promise<{ owner: TestUser; org: TestOrg; editor: TestUser }> {
  const owner = await createUser(t, 'owner')
  const org = await createOrg(t, owner)
  const editor = await addMember(t, owner, org, 'editor')
  const o = `/v1/organizations/${org.id}`
  await as(t, editor).post(`${o}/apps`, { name: 'Field app', description: 'kept' })
  for (let i = 0; i < 3; i++)
    await as(t, editor).post(`${o}/devices`, { platform: 'apple', serialNumber: `LC-${org.id}-${i}` })
  const subscription = (await as(t, owner).post(`${o}/subscriptions`, { plan: 'pro' })).body.data
  await as(t, owner).post(`${o}/subscriptions/${subscription.id}/cancel`)
  await as(t, editor).post('/v1/users/me/tokens', { name: 'scoped', organizationId: org.id })
  return { owner, org, editor }
}

async function receipt(user: TestUser, deletionId: string) {
  return (await as(t, user).get(`/v1/deletions/${deletionId}`)).body.data
}

describe('with a grace period', () => {
  it('answers at once with purgeAt, and the organization is gone for every reader and writer', async () => {
    const { owner, org, editor } = await fullOrganization()
    const before = Date.now()
    const reply = await as(t, owner).delete(`/v1/organizations/${org.id}`)
    expect(reply.status).toBe(200)
    expect(reply.body.data.delete).toBe('OK')
    const purgeAt = Date.parse(reply.body.data.purgeAt)
    expect(purgeAt).toBeGreaterThanOrEqual(before + GRACE * 1000)
    expect(purgeAt).toBeLessThanOrEqual(Date.now() + GRACE * 1000)

    const o = `/v1/organizations/${org.id}`
    const routes: Array<[TestUser, 'get' | 'post' | 'put' | 'delete', string, object?]> = [
      [owner, 'get', o],
      [owner, 'get', `/v1/organizations/${org.slug}`],
      [owner, 'put', o, { name: 'x' }],
      [owner, 'delete', o],
      [owner, 'get', `${o}/actions`],
      [owner, 'get', `${o}/deletion-preview`],
      [owner, 'post', `${o}/change-owner`, { newOwner: editor.email }],
      [owner, 'get', `${o}/collaborators`],
      [owner, 'post', `${o}/collaborators`, { email: 'late@example.test', role: 'viewer' }],
      [editor, 'get', `${o}/apps`],
      [editor, 'post', `${o}/apps`, { name: 'late' }],
      [editor, 'get', `${o}/devices`],
      [editor, 'post', `${o}/devices`, { platform: 'android', serialNumber: 'late' }],
      [owner, 'get', `${o}/subscriptions`],
      [owner, 'post', `${o}/subscriptions`, { plan: 'pro' }],
      [owner, 'get', `${o}/audit`],
    ]
    for (const [user, method, url, body] of routes) {
      const answer = await (method === 'get' || method === 'delete'
        ? as(t, user)[method](url)
        : as(t, user)[method](url, body))
      expect(answer.status, `${method} ${url}`).toBe(404)
      expect(answer.body.error.code, `${method} ${url}`).toBe(3001)
    }
    const listed = (await as(t, owner).get('/v1/organizations')).body.data.items.map((i: TestOrg) => i.id)
    expect(listed).not.toContain(org.id)
    const held = (await as(t, owner).get(`/v1/organizations/check-slug/${org.slug}`)).body.data
    expect(held.valid).toBe(false)
    expect(held.reason).toContain(reply.body.data.purgeAt)
    const taken = await as(t, owner).post('/v1/organizations', { name: 'Squatter', slug: org.slug })
    expect(taken.status).toBe(409)
    expect(taken.body.error.data.reason).toMatch(/held by a deleted organization/)
  })

  it('restores the organization exactly as it was: every row of every table', async () => {
    const { owner, org, editor } = await fullOrganization()
    const before = await everyRowOf(org.id)
    expect(before.devices).toHaveLength(3)
    expect(before.tokens).toHaveLength(1)
    const { deletionId } = (await as(t, owner).delete(`/v1/organizations/${org.id}`)).body.data
    await purgeNow(t.db) // not due yet: nothing is purged
    expect((await receipt(owner, deletionId)).status).toBe('scheduled')

    const restored = await as(t, owner).post(`/v1/deletions/${deletionId}/restore`)
    expect(restored.status).toBe(200)
    expect(restored.body.data).toMatchObject({ id: deletionId, status: 'restored', waitingFor: null })
    expect(Date.parse(restored.body.data.restoredAt)).toBeGreaterThan(0)
    expect(await everyRowOf(org.id)).toEqual(before)
    expect((await as(t, editor).get(`/v1/organizations/${org.slug}`)).body.data.id).toBe(org.id)

    // Nothing is left to purge it later, even once its purge time has passed.
    await purgeNow(t.db, { clock: later(GRACE + 60) })
    expect(await everyRowOf(org.id)).toEqual(before)
    const again = await as(t, owner).post(`/v1/deletions/${deletionId}/restore`)
    expect(again.status).toBe(409)
    expect(again.body.error.data.reason).toMatch(/already been restored/)
  })

  it('purges only once purgeAt has passed, with expected counts taken beforehand', async () => {
    const { owner, org } = await fullOrganization()
    const { deletionId } = (await as(t, owner).delete(`/v1/organizations/${org.id}`)).body.data
    await purgeNow(t.db, { clock: later(GRACE - 60) })
    expect((await receipt(owner, deletionId)).status).toBe('scheduled')
    expect((await everyRowOf(org.id)).devices).toHaveLength(3)

    await purgeNow(t.db, { clock: later(GRACE + 1), slugQuarantineSeconds: QUARANTINE })
    const done = await receipt(owner, deletionId)
    expect(done.status).toBe('completed')
    expect(done.expected).toMatchObject({
      devices: 3,
      apps: 1,
      collaborators: 2,
      subscriptions: 1,
      tokens: 1,
    })
    expect(done.counts).toEqual(done.expected)
    for (const [table, rows] of Object.entries(await everyRowOf(org.id))) expect(rows, table).toEqual([])

    const late = await as(t, owner).post(`/v1/deletions/${deletionId}/restore`)
    expect(late.status).toBe(409)
    expect(late.body.error).toMatchObject({
      code: 5001,
      data: { reason: 'the organization has been purged' },
    })
  })

  it('refuses a restore once the purge has started (409/5001 with a reason)', async () => {
    const { owner, org } = await fullOrganization()
    const { deletionId } = (await as(t, owner).delete(`/v1/organizations/${org.id}`)).body.data
    // Start the purge (as a worker's first step would once purgeAt has passed), and restore before it goes on.
    const { startDueDeletion } = await import('../src/deletion/repository.js')
    expect(await startDueDeletion(t.db, new Date(later(GRACE + 1)()).toISOString())).toBe(true)
    const refused = await as(t, owner).post(`/v1/deletions/${deletionId}/restore`)
    expect(refused.status).toBe(409)
    expect(refused.body.error).toEqual({
      code: 5001,
      message: 'Conflict',
      data: { reason: 'the purge has started; the organization can no longer be restored' },
    })
    await purgeNow(t.db)
    expect((await receipt(owner, deletionId)).status).toBe('completed')
  })

  it('lets only the requester restore; others get 404', async () => {
    const { owner, org, editor } = await fullOrganization()
    const { deletionId } = (await as(t, owner).delete(`/v1/organizations/${org.id}`)).body.data
    const stranger = await createUser(t, 'stranger')
    for (const user of [editor, stranger]) {
      const reply = await as(t, user).post(`/v1/deletions/${deletionId}/restore`)
      expect(reply.status).toBe(404)
      expect(reply.body.error.code).toBe(3001)
    }
    expect((await as(t, owner).post(`/v1/deletions/${'f'.repeat(24)}/restore`)).status).toBe(404)
    expect((await receipt(owner, deletionId)).status).toBe('scheduled')
  })

  it('a restore and the start of the purge, racing: exactly one wins (25 trials)', async () => {
    const wins = { restore: 0, purge: 0 }
    for (let trial = 0; trial < 25; trial++) {
      const owner = await createUser(t, 'owner')
      const org = await createOrg(t, owner)
      await as(t, owner).post(`/v1/organizations/${org.id}/devices`, { platform: 'apple', serialNumber: 'R' })
      const { deletionId } = (await as(t, owner).delete(`/v1/organizations/${org.id}`)).body.data
      const [restore] = await Promise.all([
        as(t, owner).post(`/v1/deletions/${deletionId}/restore`),
        purgeNow(t.db, { clock: later(GRACE + 1) }),
      ])
      await purgeNow(t.db, { clock: later(GRACE + 1) })
      const final = await receipt(owner, deletionId)
      const live = await as(t, owner).get(`/v1/organizations/${org.id}`)
      if (restore.status === 200) {
        expect(final.status).toBe('restored')
        expect(live.status).toBe(200)
        expect((await everyRowOf(org.id)).devices).toHaveLength(1)
        wins.restore++
      } else {
        expect(restore.body.error.code).toBe(5001)
        expect(final.status).toBe('completed')
        expect(live.status).toBe(404)
        wins.purge++
      }
    }
    expect(wins.restore + wins.purge).toBe(25)
  })
})

describe('with a grace period, builds in storage', () => {
  it('keep their objects while the deletion can be restored, come back with it, and go once the purge starts', async () => {
    const owner = await createUser(t, 'owner')
    const org = await createOrg(t, owner)
    const app = (await as(t, owner).post(`/v1/organizations/${org.id}/apps`, { name: 'Shipped' })).body.data
    const file = randomFile(4_321)
    const builds = `/v1/organizations/${org.id}/apps/${app.id}/builds`
    const build = (await postForm(t, builds, `Bearer ${owner.token}`, [['file', file, 'app.ipa']])).body.data
    const prefix = `${org.id}/`
    expect((await objectsUnder(t.storage, prefix)).size).toBe(1)

    const first = (await as(t, owner).delete(`/v1/organizations/${org.id}`)).body.data.deletionId
    await purgeNow(t.db, { clock: later(GRACE - 60) })
    expect((await objectsUnder(t.storage, prefix)).size).toBe(1)
    expect((await as(t, owner).post(`/v1/deletions/${first}/restore`)).status).toBe(200)
    const download = await t.app.inject({
      url: `${builds}/${build.id}/download`,
      headers: { authorization: `Bearer ${owner.token}` },
    })
    expect(download.statusCode).toBe(200)
    expect(sha256(download.rawPayload)).toBe(sha256(file))

    const second = (await as(t, owner).delete(`/v1/organizations/${org.id}`)).body.data.deletionId
    await purgeNow(t.db, { clock: later(GRACE + 1) })
    const done = await receipt(owner, second)
    expect(done.status).toBe('completed')
    expect(done.counts).toMatchObject({ builds: 1, bytes: file.length })
    expect(done.expected).toMatchObject({ builds: 1, bytes: file.length })
    expect((await objectsUnder(t.storage, prefix)).size).toBe(0)
  })
})

describe('slug quarantine', () => {
  it('keeps a purged organization’s slug unusable for SLUG_QUARANTINE_SECONDS, and says until when', async () => {
    const { owner, org } = await fullOrganization()
    await as(t, owner).delete(`/v1/organizations/${org.id}`)
    await purgeNow(t.db, { clock: later(GRACE + 1), slugQuarantineSeconds: QUARANTINE })
    const check = (await as(t, owner).get(`/v1/organizations/check-slug/${org.slug}`)).body.data
    expect(check.valid).toBe(false)
    expect(check.reason).toMatch(/^belonged to a deleted organization and is free again after /)
    const until = Date.parse(check.reason.split(' after ')[1])
    expect(until).toBeGreaterThan(Date.now() + (QUARANTINE - 60) * 1000)
    expect((await as(t, owner).post('/v1/organizations', { name: 'x', slug: org.slug })).status).toBe(409)
    // Another organization's rename to it is refused too.
    const other = await createOrg(t, owner)
    expect((await as(t, owner).put(`/v1/organizations/${other.id}`, { slug: org.slug })).status).toBe(409)

    // Once the quarantine is over, the slug is free.
    await t.db
      .updateTable('deletions')
      .set({ slug_held_until: new Date(Date.now() - 1000).toISOString() })
      .where('organization_id', '=', org.id)
      .execute()
    expect((await as(t, owner).get(`/v1/organizations/check-slug/${org.slug}`)).body.data).toEqual({
      valid: true,
      reason: '',
    })
    expect((await as(t, owner).post('/v1/organizations', { name: 'x', slug: org.slug })).status).toBe(200)
  })

  it('without a grace period, holds the slug from DELETE on when a quarantine is set', async () => {
    const quarantined = await buildTestApp({ SLUG_QUARANTINE_SECONDS: '60' })
    try {
      const owner = await createUser(quarantined, 'owner')
      const org = await createOrg(quarantined, owner)
      const deleted = await as(quarantined, owner).delete(`/v1/organizations/${org.id}`)
      expect(deleted.body.data).not.toHaveProperty('purgeAt')
      const reason = (await as(quarantined, owner).get(`/v1/organizations/check-slug/${org.slug}`)).body.data
        .reason
      expect(reason).toBe('is held by a deleted organization until its purge completes')
    } finally {
      await quarantined.close()
    }
  })

  it('is off by default: the seed’s behaviour frees the slug at once', async () => {
    const plain = await buildTestApp()
    try {
      const owner = await createUser(plain, 'owner')
      const org = await createOrg(plain, owner)
      const deleted = await as(plain, owner).delete(`/v1/organizations/${org.id}`)
      expect(deleted.body).toEqual({ status: true, data: { delete: 'OK', deletionId: expect.any(String) } })
      expect((await as(plain, owner).get(`/v1/organizations/check-slug/${org.slug}`)).body.data.valid).toBe(
        true,
      )
      expect(
        (await as(plain, owner).get(`/v1/deletions/${deleted.body.data.deletionId}`)).body.data.status,
      ).toBe('purging')
    } finally {
      await plain.close()
    }
  })
})

describe('legal hold', () => {
  it('blocks DELETE with 400/5112 and shows in the preview; releasing it lets DELETE through', async () => {
    const { owner, org } = await fullOrganization()
    await placeLegalHold(t.db, org.slug, 'litigation 2026-117')
    const refused = await as(t, owner).delete(`/v1/organizations/${org.id}`)
    expect(refused.status).toBe(400)
    expect(refused.body).toEqual({
      status: false,
      error: {
        code: 5112,
        message: 'Can not perform this action because the organization is under legal hold',
      },
    })
    const preview = (await as(t, owner).get(`/v1/organizations/${org.id}/deletion-preview`)).body.data
    expect(preview.blockers).toContainEqual({ type: 'legal_hold', reason: 'litigation 2026-117' })
    expect(preview.graceSeconds).toBe(GRACE)
    expect((await as(t, owner).get(`/v1/organizations/${org.id}`)).status).toBe(200)

    await releaseLegalHold(t.db, org.id)
    expect((await as(t, owner).delete(`/v1/organizations/${org.id}`)).status).toBe(200)
  })

  it('keeps a scheduled deletion from being purged until it is released; the receipt says why it waits', async () => {
    const { owner, org } = await fullOrganization()
    const { deletionId } = (await as(t, owner).delete(`/v1/organizations/${org.id}`)).body.data
    await placeLegalHold(t.db, org.id, 'regulator request')
    await purgeNow(t.db, { clock: later(GRACE + 1) })
    const waiting = await receipt(owner, deletionId)
    expect(waiting).toMatchObject({ status: 'scheduled', waitingFor: 'legal hold: regulator request' })
    expect((await everyRowOf(org.id)).devices).toHaveLength(3)

    await releaseLegalHold(t.db, org.id)
    await purgeNow(t.db, { clock: later(GRACE + 1) })
    expect((await receipt(owner, deletionId)).status).toBe('completed')
  })

  it('cannot be placed once the purge has started', async () => {
    const plain = await buildTestApp()
    try {
      const owner = await createUser(plain, 'owner')
      const org = await createOrg(plain, owner)
      await as(plain, owner).delete(`/v1/organizations/${org.id}`)
      await expect(placeLegalHold(plain.db, org.id, 'too late')).rejects.toThrow(/already started/)
      await expect(placeLegalHold(plain.db, 'no-such-org', 'x')).rejects.toThrow(/no organization/)
    } finally {
      await plain.close()
    }
  })
})

describe('an operator’s pause', () => {
  it('holds every purge, and receipts say so, until resumed', async () => {
    const plain = await buildTestApp()
    try {
      const owner = await createUser(plain, 'owner')
      const org = await createOrg(plain, owner)
      await as(plain, owner).post(`/v1/organizations/${org.id}/devices`, {
        platform: 'apple',
        serialNumber: 'P',
      })
      await pauseDeletions(plain.db, true)
      const { deletionId } = (await as(plain, owner).delete(`/v1/organizations/${org.id}`)).body.data
      await purgeNow(plain.db)
      const paused = (await as(plain, owner).get(`/v1/deletions/${deletionId}`)).body.data
      expect(paused).toMatchObject({ status: 'purging', waitingFor: 'deletions are paused by an operator' })
      expect(paused.counts.devices).toBe(0)
      expect(paused.expected).toBeNull()
      expect((await deletionReceipt(plain.db, deletionId))?.waitingFor).toBe(
        'deletions are paused by an operator',
      )

      await pauseDeletions(plain.db, false)
      await purgeNow(plain.db)
      const done = (await as(plain, owner).get(`/v1/deletions/${deletionId}`)).body.data
      expect(done).toMatchObject({ status: 'completed', waitingFor: null, counts: { devices: 1 } })
    } finally {
      await plain.close()
    }
  })
})
