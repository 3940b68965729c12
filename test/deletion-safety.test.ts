import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { finalizeOne, measureOne } from '../src/deletion/purge.js'
import { buildTestApp, dialect, type TestApp } from './support/app.js'
import { as, createOrg, createUser, type TestOrg, type TestUser } from './support/factories.js'
import { waitFor } from './support/processes.js'
import { purgeNow, rowsOf, testWorker } from './support/purge.js'

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp()
})
afterAll(async () => t.close())

function expectNothingLeft(rows: Record<string, number>) {
  for (const [table, n] of Object.entries(rows)) expect(n, table).toBe(table === 'deletions' ? 1 : 0)
}

async function liveSubscriptionsOfDeletedOrgs(): Promise<number> {
  const row = await t.db
    .selectFrom('subscriptions')
    .innerJoin('organizations', 'organizations.id', 'subscriptions.organization_id')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('organizations.status', '=', 'deleting')
    .where('subscriptions.status', '!=', 'canceled')
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

describe('races between DELETE and writes', () => {
  it('a subscription created concurrently either blocks the delete (5111) or is refused (3001)', async () => {
    const owner = await createUser(t, 'owner')
    // 25 trials, each judged by which of the two committed first: the subscription (then DELETE sees it, 5111)
    // or the deletion (then the subscription finds no live organization, 3001).
    for (let i = 0; i < 25; i++) {
      const org = await createOrg(t, owner)
      const api = as(t, owner)
      const [sub, del] = await Promise.all([
        api.post(`/v1/organizations/${org.id}/subscriptions`, { plan: 'pro' }),
        api.delete(`/v1/organizations/${org.id}`),
      ])
      if (del.status === 200) {
        expect(sub.status).toBe(404)
        expect(sub.body.error.code).toBe(3001)
      } else {
        expect(del.body.error.code).toBe(5111)
        expect(sub.status).toBe(200)
      }
    }
    expect(await liveSubscriptionsOfDeletedOrgs()).toBe(0)
  })

  it('writes racing the delete and the purge leave no orphan', async () => {
    const owner = await createUser(t, 'owner')
    const org = await createOrg(t, owner)
    const api = as(t, owner)
    const o = `/v1/organizations/${org.id}`
    const writes = (round: number) =>
      Array.from({ length: 8 }, (_, i) => [
        api.post(`${o}/apps`, { name: `app ${round}-${i}` }),
        api.post(`${o}/devices`, { platform: 'windows', serialNumber: `race-${round}-${i}` }),
        api.post(`${o}/collaborators`, {
          email: `race-${round}-${i}-${org.id}@example.test`,
          role: 'viewer',
        }),
      ]).flat()
    const [before, del, during] = await Promise.all([
      Promise.all(writes(0)),
      api.delete(o),
      Promise.all(writes(1)),
    ])
    expect(del.status).toBe(200)
    for (const reply of [...before, ...during]) expect([200, 404]).toContain(reply.status)
    const purging = purgeNow(t.db)
    const late = await Promise.all(writes(2))
    for (const reply of late) expect(reply.status).toBe(404)
    await purging
    await purgeNow(t.db)
    expectNothingLeft(await rowsOf(t.db, org.id))
  })
})

describe('the purge fails closed', () => {
  it('reopens a table that still holds rows instead of completing', async () => {
    const owner = await createUser(t, 'owner')
    const org = await createOrg(t, owner)
    await as(t, owner).post(`/v1/organizations/${org.id}/apps`, { name: 'left behind' })
    const { deletionId } = (await as(t, owner).delete(`/v1/organizations/${org.id}`)).body.data
    // Pretend every task finished although nothing was deleted (and the organization's storage was emptied).
    await t.db
      .updateTable('purge_tasks')
      .set({ status: 'done' })
      .where('deletion_id', '=', deletionId)
      .execute()
    await t.db.deleteFrom('object_removals').where('organization_id', '=', org.id).execute()
    while (await finalizeOne(t.db)) {
      // finalize whatever is ready; ours must be reopened, not completed
    }
    const receipt = await as(t, owner).get(`/v1/deletions/${deletionId}`)
    expect(receipt.body.data.status).toBe('purging')
    const reopened = await t.db
      .selectFrom('purge_tasks')
      .select('table_name')
      .where('deletion_id', '=', deletionId)
      .where('status', '=', 'pending')
      .execute()
    expect(reopened.map((r) => r.table_name).sort()).toEqual([
      'apps',
      'audit_events',
      'collaborators',
      'organization_data_keys',
    ])
    await purgeNow(t.db)
    expectNothingLeft(await rowsOf(t.db, org.id))
    expect((await as(t, owner).get(`/v1/deletions/${deletionId}`)).body.data.status).toBe('completed')
  })

  it('closes the tasks of tables that hold nothing of the organization without claiming them', async () => {
    const owner = await createUser(t, 'owner')
    const org = await createOrg(t, owner)
    await as(t, owner).post(`/v1/organizations/${org.id}/apps`, { name: 'one app' })
    const { deletionId } = (await as(t, owner).delete(`/v1/organizations/${org.id}`)).body.data
    const before = await rowsOf(t.db, org.id)
    while (await measureOne(t.db)) {
      // measure every deletion waiting for its counts, ours among them
    }
    const tasks = await t.db
      .selectFrom('purge_tasks')
      .select(['table_name', 'status', 'lease_owner'])
      .where('deletion_id', '=', deletionId)
      .execute()
    // The tables with a task (object_removals, for one, is emptied by the storage step) that hold rows of it.
    const holding = tasks
      .map((task) => task.table_name)
      .filter((table) => (before[table] ?? 0) > 0)
      .sort()
    expect(holding.length).toBeGreaterThan(0)
    expect(
      tasks
        .filter((task) => task.status === 'pending')
        .map((task) => task.table_name)
        .sort(),
    ).toEqual(holding)
    expect(tasks.filter((task) => task.status === 'done').length).toBeGreaterThan(0)
    expect(tasks.every((task) => task.lease_owner === null)).toBe(true)
    await purgeNow(t.db)
    expectNothingLeft(await rowsOf(t.db, org.id))
    const receipt = (await as(t, owner).get(`/v1/deletions/${deletionId}`)).body.data
    expect(receipt.status).toBe('completed')
    expect(receipt.counts.apps).toBe(1)
  })

  it('purges a tenant table it has never heard of, and reports a failure it cannot get past, then retries', async () => {
    // A table added later, whose rows reference devices: the purge deletes them before devices. It is keyed by id
    // alone, as tenant tables were before 0006: the purge addresses its rows all the same.
    await sql`create table widgets (id text primary key, organization_id text not null references organizations(id), device_id text not null, foreign key (organization_id, device_id) references devices(organization_id, id))`.execute(
      t.db,
    )
    // And one that is no tenant table (no organization_id), whose rows block deleting widgets.
    await sql`create table widget_notes (id text primary key, widget_id text not null references widgets(id))`.execute(
      t.db,
    )
    try {
      const owner: TestUser = await createUser(t, 'owner')
      const org = await createOrg(t, owner)
      const device = (
        await as(t, owner).post(`/v1/organizations/${org.id}/devices`, {
          platform: 'apple',
          serialNumber: 'W-1',
        })
      ).body.data
      await sql`insert into widgets (id, organization_id, device_id) values (${'w1'}, ${org.id}, ${device.id})`.execute(
        t.db,
      )
      await sql`insert into widget_notes (id, widget_id) values (${'n1'}, ${'w1'})`.execute(t.db)
      const { deletionId } = (await as(t, owner).delete(`/v1/organizations/${org.id}`)).body.data

      // Widgets cannot go while the note holds on; devices wait for widgets, so nothing breaks their key.
      await purgeNow(t.db)
      const failed = (await as(t, owner).get(`/v1/deletions/${deletionId}`)).body.data
      expect(failed.status).toBe('failed')
      expect(failed.error).toMatch(/^purging widgets failed/)
      expect(failed.error).not.toMatch(/select |delete from|where /i)
      expect(await rowsOf(t.db, org.id, ['widgets'])).toMatchObject({ widgets: 1, devices: 1 })

      // Once the note is gone, the retry (due after a short backoff: 1 s) completes the purge.
      await sql`delete from widget_notes`.execute(t.db)
      await purgeNow(t.db, { clock: () => Date.now() + 1_100 })
      const done = (await as(t, owner).get(`/v1/deletions/${deletionId}`)).body.data
      expect(done).toMatchObject({ status: 'completed', error: null, counts: { devices: 1, widgets: 1 } })
      expectNothingLeft(await rowsOf(t.db, org.id, ['widgets']))
    } finally {
      await sql`drop table widget_notes`.execute(t.db)
      await sql`drop table widgets`.execute(t.db)
    }
  })
})

describe('the in-server worker', () => {
  it('purges right after DELETE, without being asked', async () => {
    const served = await buildTestApp({ PURGE_WORKER: 'on', PURGE_POLL_MS: '60000' })
    try {
      const owner = await createUser(served, 'owner')
      const org = await createOrg(served, owner)
      await as(served, owner).post(`/v1/organizations/${org.id}/devices`, {
        platform: 'android',
        serialNumber: 'X',
      })
      const { deletionId } = (await as(served, owner).delete(`/v1/organizations/${org.id}`)).body.data
      await waitFor(
        async () =>
          (await as(served, owner).get(`/v1/deletions/${deletionId}`)).body.data.status === 'completed',
        20_000,
      )
      expectNothingLeft(await rowsOf(served.db, org.id))
    } finally {
      await served.close()
    }
  })

  it('shares one purge between two workers without double counting', async () => {
    const owner = await createUser(t, 'owner')
    const org = await createOrg(t, owner)
    const api = as(t, owner)
    for (let i = 0; i < 40; i++)
      await api.post(`/v1/organizations/${org.id}/devices`, { platform: 'android', serialNumber: `S${i}` })
    const { deletionId } = (await api.delete(`/v1/organizations/${org.id}`)).body.data
    await Promise.all([testWorker(t.db).drain(), testWorker(t.db).drain()])
    await purgeNow(t.db)
    const receipt = (await api.get(`/v1/deletions/${deletionId}`)).body.data
    expect(receipt.status).toBe('completed')
    expect(receipt.counts.devices).toBe(40)
    expect(receipt.counts.auditEvents).toBe(41)
  })
})

describe('purge metrics', () => {
  it('report the backlog and the rows deleted per table', async () => {
    const served = await buildTestApp({ PURGE_WORKER: 'on', PURGE_POLL_MS: '60000' })
    try {
      const metric = async (name: string) => {
        const text = (await served.app.inject({ method: 'GET', url: '/metrics' })).body
        return text.split('\n').filter((line) => line.startsWith(name))
      }
      expect(await metric('orgspace_purge_backlog ')).toEqual(['orgspace_purge_backlog 0'])
      const owner = await createUser(served, 'owner')
      const org = await createOrg(served, owner)
      for (let i = 0; i < 3; i++)
        await as(served, owner).post(`/v1/organizations/${org.id}/devices`, {
          platform: 'apple',
          serialNumber: `M${i}`,
        })
      const { deletionId } = (await as(served, owner).delete(`/v1/organizations/${org.id}`)).body.data
      await waitFor(
        async () =>
          (await as(served, owner).get(`/v1/deletions/${deletionId}`)).body.data.status === 'completed',
        20_000,
      )
      expect(await metric('orgspace_purge_rows_deleted_total{table="devices"}')).toEqual([
        'orgspace_purge_rows_deleted_total{table="devices"} 3',
      ])
      expect(await metric('orgspace_purge_backlog ')).toEqual(['orgspace_purge_backlog 0'])
      expect(await metric('orgspace_purge_oldest_age_seconds ')).toEqual([
        'orgspace_purge_oldest_age_seconds 0',
      ])

      // With no worker running, a deletion waits in the backlog and ages.
      await served.app.purgeWorker?.stop()
      const waiting = await as(served, owner).delete(
        `/v1/organizations/${(await createOrg(served, owner)).id}`,
      )
      expect(waiting.body).toMatchObject({ status: true })
      served.clock.advance(5_000)
      expect(await metric('orgspace_purge_backlog ')).toEqual(['orgspace_purge_backlog 1'])
      const [age] = await metric('orgspace_purge_oldest_age_seconds ')
      expect(Number(age?.split(' ')[1])).toBeGreaterThanOrEqual(5)
    } finally {
      await served.close()
    }
  })
})

describe('the purge and tables it did not know', () => {
  it.runIf(dialect === 'postgres')(
    'purges a partitioned tenant table without touching the other tenants in it',
    async () => {
      // Each partition numbers its rows from the start: a physical row id alone would name rows of other tenants.
      await sql`create table gadgets (id text not null, organization_id text not null) partition by hash (organization_id)`.execute(
        t.db,
      )
      for (let i = 0; i < 4; i++)
        await sql
          .raw(`create table gadgets_${i} partition of gadgets for values with (modulus 4, remainder ${i})`)
          .execute(t.db)
      try {
        const owner = await createUser(t, 'owner')
        const orgs = await Promise.all(Array.from({ length: 4 }, () => createOrg(t, owner)))
        for (const org of orgs)
          for (let i = 0; i < 30; i++)
            await sql`insert into gadgets values (${`${org.id}-${i}`}, ${org.id})`.execute(t.db)
        const [doomed, ...others] = orgs as [TestOrg, ...TestOrg[]]
        await as(t, owner).delete(`/v1/organizations/${doomed.id}`)
        await purgeNow(t.db)
        expectNothingLeft(await rowsOf(t.db, doomed.id, ['gadgets']))
        for (const other of others) expect((await rowsOf(t.db, other.id, ['gadgets'])).gadgets).toBe(30)
      } finally {
        await sql`drop table gadgets`.execute(t.db)
      }
    },
  )

  it(
    'a deletion that cannot be completed says why and does not hold up the others',
    { timeout: 60_000 },
    async () => {
      // A reference to the organization from a table without organization_id: the purge cannot know it.
      await sql`create table org_notes (id text primary key, org_ref text not null references organizations(id))`.execute(
        t.db,
      )
      try {
        const owner = await createUser(t, 'owner')
        const stuck = await createOrg(t, owner)
        const fine = await createOrg(t, owner)
        await sql`insert into org_notes values (${'n1'}, ${stuck.id})`.execute(t.db)
        const stuckId = (await as(t, owner).delete(`/v1/organizations/${stuck.id}`)).body.data.deletionId
        const fineId = (await as(t, owner).delete(`/v1/organizations/${fine.id}`)).body.data.deletionId
        const worker = testWorker(t.db)
        for (let i = 0; i < 5; i++) await worker.drain().catch(() => undefined)
        expect((await as(t, owner).get(`/v1/deletions/${fineId}`)).body.data.status).toBe('completed')
        const receipt = (await as(t, owner).get(`/v1/deletions/${stuckId}`)).body.data
        expect(receipt.status).toBe('failed')
        expect(receipt.error).toMatch(/^completing the deletion failed/)
        await sql`delete from org_notes`.execute(t.db)
        // Tried again by itself once its backoff is over: 1 s after the first failure, doubling with each one, and
        // a busy machine may have fitted more than one failure into the drains above.
        await waitFor(async () => {
          await purgeNow(t.db)
          return (await as(t, owner).get(`/v1/deletions/${stuckId}`)).body.data.status === 'completed'
        }, 45_000)
      } finally {
        await sql`drop table org_notes`.execute(t.db)
      }
    },
  )
})

describe('receipts and scoped tokens', () => {
  it('a token scoped to one organization sees only that organization’s receipts', async () => {
    const owner = await createUser(t, 'owner')
    const a = await createOrg(t, owner)
    const b = await createOrg(t, owner)
    const scoped = (await as(t, owner).post('/v1/users/me/tokens', { name: 'a only', organizationId: a.id }))
      .body.data.token
    const bId = (await as(t, owner).delete(`/v1/organizations/${b.id}`)).body.data.deletionId
    const aId = (await as(t, scoped).delete(`/v1/organizations/${a.id}`)).body.data.deletionId
    // Until the purge removes it with its organization, the scoped token sees a's receipt alone.
    expect((await as(t, scoped).get(`/v1/deletions/${bId}`)).status).toBe(404)
    expect(
      (await as(t, scoped).get('/v1/deletions')).body.data.items.map((r: { id: string }) => r.id),
    ).toEqual([aId])
  })
})
