import { writeFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runBulkDeletion, type BulkOptions } from '../src/deletion/bulk.js'
import { pauseDeletions } from '../src/deletion/operator.js'
import { placeLegalHold } from '../src/deletion/legal-holds.js'
import { buildTestApp, type TestApp } from './support/app.js'
import { as, createOrg, createUser, type TestOrg, type TestUser } from './support/factories.js'
import { runNode } from './support/processes.js'

// `orgspace deletions bulk` (docs/api.md §15). The runner is driven on a ManualClock whose only way forward is the
// sleep the test hands it, so the pace and the pause are measured on that clock; the command itself runs as an
// operator runs it, in a process of its own.

const SLOW = { timeout: 180_000 }
const policy = { graceSeconds: 0, quarantineSeconds: 0 }

let t: TestApp
let dir: string
beforeAll(async () => {
  t = await buildTestApp()
  dir = mkdtempSync(join(tmpdir(), 'orgspace-bulk-'))
})
afterAll(async () => {
  await t.close()
  rmSync(dir, { recursive: true, force: true })
})

interface Workspaces {
  owner: TestUser
  free: TestOrg
  held: TestOrg
  subscribed: TestOrg
  gone: TestOrg
}

/** One deletable workspace (with an app), one held, one with an active subscription, one already deleted. */
async function workspaces(): Promise<Workspaces> {
  const owner = await createUser(t, 'owner')
  const [free, held, subscribed, gone] = [
    await createOrg(t, owner),
    await createOrg(t, owner),
    await createOrg(t, owner),
    await createOrg(t, owner),
  ]
  expect((await as(t, owner).post(`/v1/organizations/${free.id}/apps`, { name: 'Kiosk' })).status).toBe(200)
  await placeLegalHold(t.db, held.id, 'case 7')
  expect(
    (await as(t, owner).post(`/v1/organizations/${subscribed.id}/subscriptions`, { plan: 'pro' })).status,
  ).toBe(200)
  expect((await as(t, owner).delete(`/v1/organizations/${gone.id}`)).status).toBe(200)
  return { owner, free, held, subscribed, gone }
}

/** A clock that moves only when the runner sleeps, and what the database held at each of its sleeps. */
function drivenClock(onSleep?: (ms: number, index: number) => Promise<void>) {
  // Not a ManualClock: that one also follows real time, and the pace is asserted here to the millisecond.
  let ms = Date.parse('2026-03-01T00:00:00Z')
  const clock = { now: () => ms, advance: (by: number) => void (ms += by) }
  const start = clock.now()
  const sleeps: Array<{ at: number; ms: number }> = []
  const sleep = async (ms: number) => {
    sleeps.push({ at: clock.now() - start, ms })
    await onSleep?.(ms, sleeps.length - 1)
    clock.advance(ms)
  }
  return { clock, sleep, sleeps }
}

const options = (driven: ReturnType<typeof drivenClock>, extra: Partial<BulkOptions> = {}): BulkOptions => ({
  dryRun: false,
  perMinute: 60,
  policy,
  clock: driven.clock,
  sleep: driven.sleep,
  pollMs: 1000,
  ...extra,
})

async function requestedDeletions(orgIds: string[]): Promise<number> {
  const rows = await t.db
    .selectFrom('deletions')
    .select('id')
    .where('organization_id', 'in', orgIds)
    .execute()
  return rows.length
}

async function isLive(user: TestUser, org: TestOrg): Promise<boolean> {
  return (await as(t, user).get(`/v1/organizations/${org.id}`)).status === 200
}

describe('the bulk runner', () => {
  it('dry run: previews and blockers per workspace, and changes nothing', async () => {
    const w = await workspaces()
    const refs = [w.free.slug, w.held.id, w.subscribed.slug, 'no-such-workspace', w.free.id, w.gone.id]
    const driven = drivenClock()
    const summary = await runBulkDeletion(t.db, refs, options(driven, { dryRun: true }))

    expect(summary.lines.map((l) => l.outcome.kind)).toEqual([
      'preview',
      'preview',
      'preview',
      'not-found',
      'repeated',
      'already-deleted',
    ])
    expect(summary.lines[0]?.outcome).toMatchObject({ counts: { apps: 1, collaborators: 1 }, blockers: [] })
    expect(summary.lines[1]?.outcome).toMatchObject({ blockers: ['legal hold: case 7'] })
    expect(summary.lines[2]?.outcome).toMatchObject({
      blockers: [expect.stringMatching(/^subscription .+ is active$/)],
    })
    expect(summary).toMatchObject({ deletable: 1, requested: 1, notFound: ['no-such-workspace'] })
    expect(summary.blocked.map((b) => b.ref)).toEqual([w.held.id, w.subscribed.slug])
    for (const org of [w.free, w.held, w.subscribed]) expect(await isLive(w.owner, org)).toBe(true)
    expect(await requestedDeletions([w.free.id, w.held.id, w.subscribed.id])).toBe(0)
    expect(driven.sleeps).toEqual([])
  })

  it('real run: deletes what it may as the owner, explains the rest; repeats and old deletions count once', async () => {
    const w = await workspaces()
    const refs = [w.free.slug, w.held.id, w.subscribed.slug, 'no-such-workspace', w.free.id, w.gone.slug]
    const summary = await runBulkDeletion(t.db, refs, options(drivenClock()))

    expect(summary.requested).toBe(2)
    expect(summary.blocked).toEqual([
      { ref: w.held.id, reason: 'legal hold: case 7' },
      { ref: w.subscribed.slug, reason: expect.stringMatching(/^subscription .+ is active$/) },
    ])
    expect(summary.notFound).toEqual(['no-such-workspace'])
    expect(await isLive(w.owner, w.free)).toBe(false)
    expect(await isLive(w.owner, w.held)).toBe(true)
    expect(await isLive(w.owner, w.subscribed)).toBe(true)
    // The owner's own receipts list it: requested as them.
    const receipts = (await as(t, w.owner).get('/v1/deletions')).body.data.items as Array<Record<string, any>>
    const receipt = receipts.find((r) => r.organization.id === w.free.id)
    expect(receipt?.requestedBy).toEqual({ id: w.owner.id, email: w.owner.email })
    expect(receipts.filter((r) => r.organization.id === w.free.id)).toHaveLength(1)
  })

  it('requests at most N a minute, measured on its clock', async () => {
    const owner = await createUser(t, 'owner')
    const orgs: TestOrg[] = []
    for (let i = 0; i < 5; i++) orgs.push(await createOrg(t, owner))
    const ids = orgs.map((o) => o.id)
    const seen: Array<{ at: number; requested: number }> = []
    const driven = drivenClock(async () => {
      seen.push({ at: driven.clock.now() - start, requested: await requestedDeletions(ids) })
    })
    const start = driven.clock.now()
    const summary = await runBulkDeletion(t.db, ids, options(driven, { perMinute: 2 }))

    expect(summary.requested).toBe(5)
    // Two a minute: one every 30 s of the clock, the first at once.
    expect(seen).toEqual([
      { at: 0, requested: 1 },
      { at: 30_000, requested: 2 },
      { at: 60_000, requested: 3 },
      { at: 90_000, requested: 4 },
    ])
    // In no minute of the clock more than two: the fifth comes 120 s after the first.
    expect(driven.clock.now() - start).toBe(120_000)
  })

  it('waits while deletions are paused, and goes on once they are resumed', async () => {
    const owner = await createUser(t, 'owner')
    const orgs = [await createOrg(t, owner), await createOrg(t, owner)]
    const ids = orgs.map((o) => o.id)
    const seen: number[] = []
    await pauseDeletions(t.db, true)
    try {
      const driven = drivenClock(async (_ms, index) => {
        seen.push(await requestedDeletions(ids))
        if (index === 2) await pauseDeletions(t.db, false)
      })
      const summary = await runBulkDeletion(t.db, ids, options(driven, { pollMs: 5_000 }))
      expect(summary.requested).toBe(2)
      // Three polls while paused, nothing requested meanwhile; then the pace (60 a minute) before the second.
      expect(driven.sleeps.map((s) => s.ms)).toEqual([5_000, 5_000, 5_000, 1_000])
      expect(seen).toEqual([0, 0, 0, 1])
    } finally {
      await pauseDeletions(t.db, false)
    }
  })
})

describe('orgspace deletions bulk', () => {
  it(
    'dry run prints each preview; the real run deletes, summarises and exits 1 for the rest',
    SLOW,
    async () => {
      const w = await workspaces()
      const file = join(dir, 'workspaces.txt')
      writeFileSync(file, `${w.free.slug}\n\n${w.held.slug}\n  ${w.free.id}  \nno-such-workspace\n`)
      const orgspace = (...args: string[]) =>
        runNode('src/cli.ts', ['deletions', 'bulk', '--file', file, ...args], { DATABASE_URL: t.url })

      const dry = await orgspace('--dry-run')
      expect(dry.code).toBe(1)
      const lines = dry.stdout.trim().split('\n')
      expect(lines[0]).toMatch(new RegExp(`^${w.free.slug}\t${w.free.id}\tdeletable\t.*apps=1`))
      expect(lines[1]).toBe(
        `${w.held.slug}\t${w.held.id}\tblocked: legal hold: case 7\t${lines[1]?.split('\t')[3]}`,
      )
      expect(lines).toContain(`${w.free.id}\t${w.free.id}\trepeated (counted once)`)
      expect(lines).toContain('no-such-workspace\t-\tnot found')
      expect(lines).toContain('dry run: 1 deletable, 0 already deleted, 1 blocked, 1 not found')
      expect(await isLive(w.owner, w.free)).toBe(true)

      const real = await orgspace('--per-minute', '600')
      expect(real.code).toBe(1)
      expect(real.stdout).toContain(`${w.free.slug}\t${w.free.id}\trequested\t`)
      expect(real.stdout).toContain(
        `1 requested, 1 blocked, 1 not found\nblocked: ${w.held.slug} (legal hold: case 7)\nnot found: no-such-workspace\n`,
      )
      expect(real.stderr).toMatch(/bulk: /)
      expect(await isLive(w.owner, w.free)).toBe(false)

      const usage = await orgspace('--per-minute', '0')
      expect(usage.code).toBe(2)
    },
  )
})
