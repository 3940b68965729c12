import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listDevicesQuery } from '../src/devices/repository.js'
import { dialect, buildTestApp, type TestApp } from './support/app.js'
import {
  addMember,
  as,
  createOrg,
  createUser,
  type TestOrg,
  type TestUser,
  ownerWithOrg,
  countsOf,
  expectValidation,
} from './support/factories.js'

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp()
})
afterAll(async () => t.close())

const devices = (org: TestOrg) => `/v1/organizations/${org.id}/devices`

async function enroll(user: TestUser, org: TestOrg, body: Record<string, unknown>) {
  const reply = await as(t, user).post(devices(org), body)
  if (reply.status !== 200) throw new Error(`enroll failed: ${reply.status} ${JSON.stringify(reply.body)}`)
  return reply.body.data
}

describe('devices', () => {
  it('enrolls a device and keeps the devices count exact', async () => {
    const { owner, org } = await ownerWithOrg(t)
    const before = Date.now()
    const reply = await as(t, owner).post(devices(org), {
      platform: 'android',
      serialNumber: 'R5C-0001',
      name: 'Pixel 8',
    })
    expect(reply.status).toBe(200)
    const device = reply.body.data
    expect(Object.keys(device).sort()).toEqual([
      'enrolledAt',
      'id',
      'name',
      'platform',
      'serialNumber',
      'state',
    ])
    expect(device).toMatchObject({
      platform: 'android',
      serialNumber: 'R5C-0001',
      name: 'Pixel 8',
      state: 'enrolled',
    })
    expect(device.id).toMatch(/^[a-f0-9]{24}$/)
    expect(Date.parse(device.enrolledAt)).toBeGreaterThanOrEqual(before - 1000)
    expect((await enroll(owner, org, { platform: 'apple', serialNumber: 'F2L-0001' })).name).toBe('')
    expect((await countsOf(t, owner, org)).devices).toBe(2)
    const unenrolled = await as(t, owner).delete(`${devices(org)}/${device.id}`)
    expect(unenrolled.body).toEqual({ status: true, data: { delete: 'OK' } })
    expect((await countsOf(t, owner, org)).devices).toBe(1)
    const again = await as(t, owner).delete(`${devices(org)}/${device.id}`)
    expect(again.status).toBe(404)
    expect(again.body.error.code).toBe(3001)
    expect((await countsOf(t, owner, org)).devices).toBe(1)
    // Unenrolled, the serial number can be enrolled again.
    await enroll(owner, org, { platform: 'android', serialNumber: 'R5C-0001' })
    expect((await countsOf(t, owner, org)).devices).toBe(2)
  })

  it('validates bodies, params and queries with 3000', async () => {
    const { owner, org } = await ownerWithOrg(t)
    const post = (body: unknown) => as(t, owner).post(devices(org), body)
    expectValidation(await post({ serialNumber: 'S1' }), '/body/platform')
    expectValidation(await post({ platform: 'linux', serialNumber: 'S1' }), '/body/platform')
    expectValidation(await post({ platform: 'apple' }), '/body/serialNumber')
    expectValidation(await post({ platform: 'apple', serialNumber: '' }), '/body/serialNumber')
    expectValidation(await post({ platform: 'apple', serialNumber: 'S'.repeat(129) }), '/body/serialNumber')
    expectValidation(
      await post({ platform: 'apple', serialNumber: 'S1', name: 'n'.repeat(129) }),
      '/body/name',
    )
    expectValidation(await as(t, owner).delete(`${devices(org)}/not-an-id`), '/params/deviceId')
    expectValidation(await as(t, owner).get(`${devices(org)}?platform=linux`), '/querystring/platform')
    expectValidation(await as(t, owner).get(`${devices(org)}?sort=name:asc`), '/querystring/sort')
    expectValidation(await as(t, owner).get(`${devices(org)}?page=0`), '/querystring/page')
    expect((await countsOf(t, owner, org)).devices).toBe(0)
  })

  it('answers 5001 for a serial number already enrolled in the organization only', async () => {
    const { owner, org } = await ownerWithOrg(t)
    const other = await createOrg(t, owner)
    await enroll(owner, org, { platform: 'windows', serialNumber: 'PF3-42' })
    const taken = await as(t, owner).post(devices(org), { platform: 'android', serialNumber: 'PF3-42' })
    expect(taken.status).toBe(409)
    expect(taken.body.error).toMatchObject({ code: 5001, message: 'Conflict' })
    expect((await enroll(owner, other, { platform: 'windows', serialNumber: 'PF3-42' })).serialNumber).toBe(
      'PF3-42',
    )
    expect((await countsOf(t, owner, org)).devices).toBe(1)
  })

  it("answers 404 for unknown devices, another organization's devices and strangers", async () => {
    const { owner, org } = await ownerWithOrg(t)
    const orgB = await createOrg(t, owner)
    const deviceB = await enroll(owner, orgB, { platform: 'apple', serialNumber: 'B-1' })
    for (const id of [deviceB.id, 'ffffffffffffffffffffffff']) {
      const reply = await as(t, owner).delete(`${devices(org)}/${id}`)
      expect(reply.status, id).toBe(404)
      expect(reply.body.error).toEqual({ code: 3001, message: 'Entity not found' })
    }
    expect((await countsOf(t, owner, orgB)).devices).toBe(1)
    const stranger = await createUser(t, 'stranger')
    expect((await as(t, stranger).get(devices(orgB))).status).toBe(404)
    expect((await as(t, stranger).post(devices(orgB), { platform: 'apple', serialNumber: 'X' })).status).toBe(
      404,
    )
    expect((await as(t, stranger).delete(`${devices(orgB)}/${deviceB.id}`)).status).toBe(404)
    expect((await countsOf(t, owner, orgB)).devices).toBe(1)
  })

  it('lists newest first, paginated without overlap, sorted by serial number and filtered', async () => {
    const { owner, org } = await ownerWithOrg(t)
    const platforms = ['android', 'apple', 'windows', 'android', 'apple', 'android', 'windows']
    const enrolled = []
    for (const [i, platform] of platforms.entries())
      enrolled.push(
        await enroll(owner, org, { platform, serialNumber: `SN-${String(7 - i).padStart(2, '0')}` }),
      )
    await enroll(owner, await createOrg(t, owner), { platform: 'android', serialNumber: 'SN-99' })

    const seen: { id: string; enrolledAt: string }[] = []
    for (let page = 1; page <= 3; page++) {
      const reply = await as(t, owner).get(`${devices(org)}?limit=3&page=${page}`)
      expect(reply.body.data).toMatchObject({ totalDocs: 7, totalPages: 3, page })
      seen.push(...reply.body.data.items)
    }
    expect(seen.map((d) => d.id).sort()).toEqual(enrolled.map((d) => d.id).sort())
    // Newest first; devices enrolled within the same millisecond keep one order across pages.
    const order = seen.map((d) => [d.enrolledAt, d.id].join())
    expect(order).toEqual([...order].sort().reverse())

    const bySerial = await as(t, owner).get(`${devices(org)}?sort=serialNumber`)
    expect(bySerial.body.data.items.map((d: { serialNumber: string }) => d.serialNumber)).toEqual([
      'SN-01',
      'SN-02',
      'SN-03',
      'SN-04',
      'SN-05',
      'SN-06',
      'SN-07',
    ])
    const android = await as(t, owner).get(`${devices(org)}?platform=android&sort=serialNumber:desc`)
    expect(android.body.data.totalDocs).toBe(3)
    expect(android.body.data.items.map((d: { serialNumber: string }) => d.serialNumber)).toEqual([
      'SN-07',
      'SN-04',
      'SN-02',
    ])
    const enrolledState = await as(t, owner).get(`${devices(org)}?state=enrolled&platform=windows`)
    expect(enrolledState.body.data.totalDocs).toBe(2)
    expect((await as(t, owner).get(`${devices(org)}?state=retired`)).body.data).toMatchObject({
      totalDocs: 0,
      items: [],
      totalPages: 1,
    })
  })

  it('takes an unfiltered total from the maintained counter instead of counting rows', async () => {
    const { owner, org } = await ownerWithOrg(t)
    await enroll(owner, org, { platform: 'android', serialNumber: 'C-1' })
    await enroll(owner, org, { platform: 'apple', serialNumber: 'C-2' })
    // Skew the counter on purpose: the unfiltered list reports it, a filtered list counts.
    await t.db
      .updateTable('organizations')
      .set({ devices_count: 1_000_000 })
      .where('id', '=', org.id)
      .execute()
    const all = await as(t, owner).get(devices(org))
    expect(all.body.data).toMatchObject({ totalDocs: 1_000_000, totalPages: 50_000, hasNextPage: true })
    expect(all.body.data.items).toHaveLength(2)
    expect((await as(t, owner).get(`${devices(org)}?platform=apple`)).body.data.totalDocs).toBe(1)
  })

  it("walks the migration's indexes for both orders", async () => {
    const { owner, org } = await ownerWithOrg(t)
    await enroll(owner, org, { platform: 'android', serialNumber: 'I-1' })
    const plans: Record<string, string> = {}
    for (const column of ['enrolled_at', 'serial_number'] as const) {
      const query = listDevicesQuery(
        t.db,
        { organizationId: org.id },
        { column, direction: 'desc' },
        { page: 1, limit: 20 },
      )
      const compiled = query.compile()
      plans[column] = await t.db.transaction().execute(async (trx) => {
        // With a handful of rows PostgreSQL would rather scan and sort; ask for the plan it takes at scale.
        if (dialect === 'postgres') {
          await sql`set local enable_seqscan = off`.execute(trx)
          await sql`set local enable_sort = off`.execute(trx)
        }
        const prefix = dialect === 'postgres' ? 'explain ' : 'explain query plan '
        const result = await trx.executeQuery({ ...compiled, sql: prefix + compiled.sql })
        return result.rows.map((row) => Object.values(row as object).join(' ')).join('\n')
      })
    }
    expect(plans.enrolled_at).toContain('devices_org_enrolled_idx')
    if (dialect === 'postgres') expect(plans.serial_number).toContain('devices_org_serial_unique')
    // SQLite names the index of a UNIQUE constraint itself (sqlite_autoindex_devices_N).
    else expect(plans.serial_number).toMatch(/SEARCH devices USING INDEX sqlite_autoindex_devices_\d/)
    for (const plan of Object.values(plans)) expect(plan).not.toMatch(/SCAN devices|Seq Scan/)
  })

  it('lets every role list, and only owner, admin and editor enroll and unenroll', async () => {
    const { owner, org } = await ownerWithOrg(t)
    const members = {
      owner,
      admin: await addMember(t, owner, org, 'admin'),
      editor: await addMember(t, owner, org, 'editor'),
      viewer: await addMember(t, owner, org, 'viewer'),
    }
    const fixture = await enroll(owner, org, { platform: 'apple', serialNumber: 'FIX' })
    for (const [role, user] of Object.entries(members)) {
      const canWrite = role !== 'viewer'
      expect((await as(t, user).get(devices(org))).status, role).toBe(200)
      const enrolled = await as(t, user).post(devices(org), {
        platform: 'android',
        serialNumber: `BY-${role}`,
      })
      expect(enrolled.status, role).toBe(canWrite ? 200 : 403)
      const target = canWrite ? enrolled.body.data.id : fixture.id
      const removed = await as(t, user).delete(`${devices(org)}/${target}`)
      expect(removed.status, role).toBe(canWrite ? 200 : 403)
      if (!canWrite) expect(removed.body.error).toEqual({ code: 4003, message: 'Forbidden' })
    }
    expect((await countsOf(t, owner, org)).devices).toBe(1)
  })
})
