import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from './support/app.js'
import { as, createUser, type TestUser, exportsOf } from './support/factories.js'
import { waitFor } from './support/processes.js'
import { purgeNow, rowsOf } from './support/purge.js'
import { objectsUnder } from './support/uploads.js'
import { seedOrganization } from '../src/seed/seed.js'

// docs/api.md §10: an export running while its organization is deleted stops and leaves nothing — whichever commits
// first. An export that completed before the DELETE has its archive (and its pending expiry) purged with the rest.

let t: TestApp
let owner: TestUser
beforeAll(async () => {
  t = await buildTestApp()
  owner = await createUser(t, 'owner')
})
afterAll(async () => t?.close())

describe('an export and the deletion of its organization', () => {
  it('an export racing the deletion of its organization leaves nothing behind (25 trials)', async () => {
    // Trials run five at a time (one organization each), so that one purge serves five of them.
    const ends: string[] = []
    for (let batch = 0; batch < 5; batch++) {
      const trials = []
      for (let n = 0; n < 5; n++) {
        const seeded = await seedOrganization(t.db, {
          owner: owner.email,
          devices: 20 + (batch * 5 + n) * 10,
        })
        const org = { id: seeded.organizationId }
        const started = (await as(t, owner).post(exportsOf(org))).body.data
        await new Promise((resolve) => setTimeout(resolve, n * 3))
        expect((await as(t, owner).delete(`/v1/organizations/${org.id}`)).status).toBe(200)
        trials.push({ org, exportId: started.id as string })
      }
      // Each export ends on its own: completed before the DELETE committed, or stopped by it.
      for (const { org, exportId } of trials) {
        const row = await waitFor(async () => {
          const found = await t.db
            .selectFrom('exports')
            .select(['status'])
            .where('organization_id', '=', org.id)
            .where('id', '=', exportId)
            .executeTakeFirst()
          return found?.status !== 'running' && found
        }, 10_000)
        ends.push(row.status)
      }
      await purgeNow(t.db)
      for (const { org } of trials) {
        expect(await objectsUnder(t.storage, `${org.id}/`)).toEqual(new Map())
        expect(await rowsOf(t.db, org.id)).toMatchObject({ exports: 0, object_removals: 0, organizations: 0 })
      }
    }
    expect(ends).toHaveLength(25)
    expect(ends.every((status) => status === 'completed' || status === 'failed')).toBe(true)
  })

  it('a completed export does not hold the purge until it expires: its archive goes with the organization', async () => {
    const seeded = await seedOrganization(t.db, { owner: owner.email, devices: 50 })
    const org = { id: seeded.organizationId }
    const started = (await as(t, owner).post(exportsOf(org))).body.data
    const done = await waitFor(async () => {
      const reply = await as(t, owner).get(`${exportsOf(org)}/${started.id}`)
      return reply.body.data.status === 'completed' && reply.body.data
    }, 10_000)
    expect(Date.parse(done.expiresAt) - Date.now()).toBeGreaterThan(3_600_000)
    expect((await objectsUnder(t.storage, `${org.id}/exports/`)).size).toBe(1)
    const { deletionId } = (await as(t, owner).delete(`/v1/organizations/${org.id}`)).body.data
    await purgeNow(t.db)
    const receipt = await t.db
      .selectFrom('deletions')
      .select('status')
      .where('id', '=', deletionId)
      .executeTakeFirst()
    expect(receipt?.status).toBe('completed')
    expect(await objectsUnder(t.storage, `${org.id}/`)).toEqual(new Map())
    expect(await rowsOf(t.db, org.id)).toMatchObject({ exports: 0, object_removals: 0 })
  })
})
