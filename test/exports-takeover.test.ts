import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isoAt } from '../src/core/clock.js'
import { ExportJob } from '../src/exports/job.js'
import { claimExport } from '../src/exports/repository.js'
import { LEASE_MS } from '../src/exports/service.js'
import { buildTestApp, type TestApp } from './support/app.js'
import { as, createOrg, createUser, type TestUser, exportsOf } from './support/factories.js'
import { kill, startNode, waitFor } from './support/processes.js'

// Exports are a job on the background runtime (src/exports/job.ts): an export whose process died while writing it
// is taken over by another process's export job once its lease runs out, rather than staying `running`.

let t: TestApp
let owner: TestUser
beforeAll(async () => {
  t = await buildTestApp()
  owner = await createUser(t, 'owner')
})
afterAll(async () => t?.close())

const exportRow = (id: string) =>
  t.db.selectFrom('exports').selectAll().where('id', '=', id).executeTakeFirstOrThrow()

describe('export job', () => {
  it('an export whose process died is taken over once its lease runs out, and completes', async () => {
    // The test plays both processes: the app's own export job stays out of the way.
    await t.app.exportWorker.stop()
    try {
      const org = await createOrg(t, owner)
      const started = (await as(t, owner).post(exportsOf(org))).body.data
      // A process claims the export and dies at once: its claim stays, and nothing renews it.
      const dead = await claimExport(t.db, 'dead-process', isoAt(t.clock), isoAt(t.clock, LEASE_MS))
      expect(dead?.id).toBe(started.id)
      const other = new ExportJob({
        db: t.db,
        storage: t.app.storage,
        ttlSeconds: 3_600,
        log: t.app.log,
        clock: t.clock,
        concurrency: 1,
      })
      await other.drain()
      expect(await exportRow(started.id)).toMatchObject({ status: 'running', lease_owner: 'dead-process' })

      t.clock.advance(LEASE_MS + 1_000)
      await other.drain()
      expect(await exportRow(started.id)).toMatchObject({
        status: 'completed',
        progress: 100,
        lease_owner: null,
        removal_id: null,
      })
      const view = (await as(t, owner).get(`${exportsOf(org)}/${started.id}`)).body.data
      expect(view).toMatchObject({ status: 'completed', progress: 100 })
      const download = await t.app.inject({
        method: 'GET',
        url: `${exportsOf(org)}/${started.id}/download`,
        headers: { authorization: `Bearer ${owner.token}` },
      })
      expect(download.statusCode).toBe(200)
      expect(download.rawPayload.length).toBe(view.size)
      // Its upload removal was settled: nothing of the export waits in the storage queue but its expiry.
      const queued = await t.db
        .selectFrom('object_removals')
        .select('kind')
        .where('organization_id', '=', org.id)
        .execute()
      expect(queued).toEqual([{ kind: 'object' }])
    } finally {
      t.app.exportWorker.start()
    }
  })

  it(
    'the standalone worker (orgspace worker) writes an export that a server accepted',
    { timeout: 120_000 },
    async () => {
      await t.app.exportWorker.stop()
      const org = await createOrg(t, owner)
      const started = (await as(t, owner).post(exportsOf(org))).body.data
      // No process has claimed it: the server's own job is stopped.
      expect(await exportRow(started.id)).toMatchObject({ status: 'running', lease_owner: null, progress: 0 })
      const worker = startNode('src/cli.ts', ['worker'], {
        DATABASE_URL: t.config.DATABASE_URL,
        STORAGE_URL: t.config.STORAGE_URL,
        LEDGER_URL: t.config.LEDGER_URL,
        SIGNING_KEY_FILE: t.config.SIGNING_KEY_FILE,
        MASTER_KEY: t.config.MASTER_KEY,
        EVENT_WORKER: 'off',
        LOG_LEVEL: 'info',
      })
      try {
        const done = await waitFor(
          async () => (await exportRow(started.id)).status === 'completed' && (await exportRow(started.id)),
          90_000,
          worker.output,
        )
        expect(done).toMatchObject({ progress: 100, lease_owner: null, removal_id: null })
        const download = await t.app.inject({
          method: 'GET',
          url: `${exportsOf(org)}/${started.id}/download`,
          headers: { authorization: `Bearer ${owner.token}` },
        })
        expect(download.statusCode).toBe(200)
        expect(download.rawPayload.length).toBe(Number(done.size))
      } finally {
        await kill(worker, 'SIGTERM')
        t.app.exportWorker.start()
      }
      expect(worker.process.exitCode, worker.output()).toBe(0)
    },
  )
})
