import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PurgeWorker } from '../src/deletion/worker.js'
import { buildTestApp, type TestApp } from './support/app.js'
import { as, ownerWithOrg } from './support/factories.js'
import { waitFor } from './support/processes.js'
import { purgeNow } from './support/purge.js'

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp()
})
afterAll(async () => t.close())

describe('the purge worker as a daemon', () => {
  it('says it is alive at debug level while idle', async () => {
    const lines: Array<{ level: string; obj: object; msg?: string }> = []
    const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj, msg })
    const worker = new PurgeWorker(t.db, {
      batchTargetMs: 5,
      pollMs: 10,
      leaseMs: 10_000,
      heartbeatMs: 30,
      storage: t.app.storage,
      logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
    })
    const beats = () => lines.filter((l) => l.msg === 'purge worker alive')
    worker.start()
    await waitFor(() => beats().length >= 2, 5_000)
    await worker.stop()
    expect(beats().every((l) => l.level === 'debug')).toBe(true)
    expect(beats()[0]?.obj).toMatchObject({ worker: worker.id, failures: 0 })
  })

  it('/readyz shows the purge backlog and the age of its oldest deletion', async () => {
    const ready = async () => (await t.app.inject({ url: '/readyz' })).json()
    await purgeNow(t.db)
    expect((await ready()).purge).toEqual({ backlog: 0, oldestAgeSeconds: 0 })
    const { owner, org } = await ownerWithOrg(t)
    expect((await as(t, owner).delete(`/v1/organizations/${org.id}`)).status).toBe(200)
    await t.db
      .updateTable('deletions')
      .set({ requested_at: new Date(Date.now() - 90_000).toISOString() })
      .where('organization_id', '=', org.id)
      .execute()
    const waiting = await ready()
    expect(waiting.status).toBe('ok')
    expect(waiting.purge.backlog).toBe(1)
    expect(waiting.purge.oldestAgeSeconds).toBeGreaterThanOrEqual(90)
    await purgeNow(t.db)
    expect((await ready()).purge).toEqual({ backlog: 0, oldestAgeSeconds: 0 })
  })
})
