import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from './support/app.js'
import { as, createOrg, createUser } from './support/factories.js'
import { kill, runNode, startNode, waitFor } from './support/processes.js'
import { purgeNow } from './support/purge.js'
import { postForm, randomFile } from './support/uploads.js'

// Operators' commands (docs/api.md §8), run as an operator runs them: separate processes sharing the database with
// the API (here, in-process) and with a standalone purge worker. Each child starts tsx, which takes seconds on
// a busy machine: hence the long timeouts.

const SLOW = { timeout: 180_000 }

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp()
})
afterAll(async () => t.close())

const orgspace = (...args: string[]) => runNode('src/cli.ts', args, { DATABASE_URL: t.url })

describe('orgspace hold', () => {
  it('places, lists and releases a legal hold that DELETE obeys', SLOW, async () => {
    const owner = await createUser(t, 'owner')
    const org = await createOrg(t, owner)
    const placed = await orgspace('hold', 'set', org.slug, '--reason', 'case 2026-117')
    expect(placed.stderr).toBe('')
    expect(placed).toMatchObject({ code: 0, stdout: `held ${org.id} ${org.slug}\n` })
    expect((await as(t, owner).delete(`/v1/organizations/${org.id}`)).body.error.code).toBe(5112)

    const listed = await orgspace('hold', 'list')
    expect(listed.stdout.split('\n')).toContainEqual(
      expect.stringMatching(new RegExp(`^${org.id}\t${org.slug}\t.+\tcase 2026-117$`)),
    )

    const released = await orgspace('hold', 'release', org.id)
    expect(released).toMatchObject({ code: 0, stdout: `released ${org.id} ${org.slug}\n` })
    const again = await orgspace('hold', 'release', org.id)
    expect(again).toMatchObject({
      code: 1,
      stdout: '',
      stderr: `orgspace: "${org.id}" is not under legal hold\n`,
    })
    expect((await as(t, owner).delete(`/v1/organizations/${org.id}`)).status).toBe(200)
  })
})

describe('orgspace deletions', () => {
  it('pauses every purge of a worker in another process, says so, and resumes it', SLOW, async () => {
    const owner = await createUser(t, 'owner')
    const org = await createOrg(t, owner)
    for (let i = 0; i < 5; i++)
      await as(t, owner).post(`/v1/organizations/${org.id}/devices`, {
        platform: 'android',
        serialNumber: `P${i}`,
      })
    expect(await orgspace('deletions', 'pause')).toMatchObject({ code: 0, stdout: 'deletions paused\n' })

    const worker = startNode('src/cli.ts', ['worker'], {
      DATABASE_URL: t.url,
      PURGE_POLL_MS: '20',
      WORKER_HEARTBEAT_MS: '10',
      LOG_LEVEL: 'debug',
    })
    const beats = () => worker.output().split('purge worker alive').length - 1
    try {
      await waitFor(() => worker.output().includes('purge worker started'), 90_000, worker.output)
      const { deletionId } = (await as(t, owner).delete(`/v1/organizations/${org.id}`)).body.data
      // Twenty rounds of the worker after the deletion, counted by its heartbeats (each follows a step): one that
      // ignored the pause would have purged five rows long before.
      const before = beats()
      await waitFor(() => beats() >= before + 20, 60_000, worker.output)
      const paused = (await as(t, owner).get(`/v1/deletions/${deletionId}`)).body.data
      expect(paused).toMatchObject({ status: 'purging', waitingFor: 'deletions are paused by an operator' })
      const devices = await t.db
        .selectFrom('devices')
        .select('id')
        .where('organization_id', '=', org.id)
        .execute()
      expect(devices).toHaveLength(5)
      const listed = await orgspace('deletions', 'list', '--status', 'purging')
      expect(listed.stdout).toContain(`${deletionId}\tpurging\t`)
      expect(listed.stdout).toContain('deletions are paused by an operator')

      expect(await orgspace('deletions', 'resume')).toMatchObject({ code: 0, stdout: 'deletions resumed\n' })
      await waitFor(
        async () => (await as(t, owner).get(`/v1/deletions/${deletionId}`)).body.data.status === 'completed',
        60_000,
        worker.output,
      )
      const shown = await orgspace('deletions', 'show', deletionId)
      expect(JSON.parse(shown.stdout)).toMatchObject({
        id: deletionId,
        status: 'completed',
        counts: { devices: 5 },
        expected: { devices: 5 },
        waitingFor: null,
      })
      const retried = await orgspace('deletions', 'retry', deletionId)
      expect(retried).toMatchObject({
        code: 1,
        stderr: `orgspace: deletion ${deletionId} is completed; only a failed deletion is retried\n`,
      })
    } finally {
      await kill(worker, 'SIGTERM')
      await orgspace('deletions', 'resume')
    }
  })

  it('lists the rows purged and, apart from them, the bytes of builds in human units', SLOW, async () => {
    const owner = await createUser(t, 'owner')
    const org = await createOrg(t, owner)
    const app = (await as(t, owner).post(`/v1/organizations/${org.id}/apps`, { name: 'Sized' })).body.data
    const upload = await postForm(
      t,
      `/v1/organizations/${org.id}/apps/${app.id}/builds`,
      `Bearer ${owner.token}`,
      [['file', randomFile(3_000), 'app.apk']],
    )
    expect(upload.status).toBe(200)
    const { deletionId } = (await as(t, owner).delete(`/v1/organizations/${org.id}`)).body.data
    await purgeNow(t.db)
    const listed = await orgspace('deletions', 'list', '--status', 'completed')
    expect(listed.code, listed.stderr).toBe(0)
    const row = listed.stdout.split('\n').find((line) => line.startsWith(`${deletionId}\t`))
    const [, status, slug, , rows, bytes, why] = row?.split('\t') ?? []
    expect([status, slug, why]).toEqual(['completed', org.slug, ''])
    // A handful of rows (the owner, the app, its build, history…): 3,000 bytes are not among them.
    expect(rows).toMatch(/^\d{1,2}\/\d{1,2} \(\d+%\)$/)
    expect(bytes).toBe('2.9 KB/2.9 KB (100%)')
  })
})
