import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from './support/app.js'
import { addMember, as, createOrg, createUser, type TestOrg } from './support/factories.js'

// docs/api.md §6.9: a write runs with the role its caller holds when the write commits. Each race is run many
// times over HTTP, both requests sent at once, and judged by the order in which the two changes committed:
// every change writes its audit event inside its transaction, after taking the organization's lock, so the
// audit timestamps order the commits (ties aside). A write that succeeded after the change that took its
// permission away is the bug; so is a second owner change by someone who no longer owned the organization.

const TRIALS = 25

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp()
})
afterAll(async () => t.close())

/** When the organization's audit history records `action` on `entityId`; undefined when it does not. */
async function auditedAt(org: TestOrg, action: string, entityId?: string): Promise<string | undefined> {
  const row = await t.db
    .selectFrom('audit_events')
    .select('created_at')
    .where('organization_id', '=', org.id)
    .where('action', '=', action)
    .$if(entityId !== undefined, (q) => q.where('entity_id', '=', entityId ?? ''))
    .executeTakeFirst()
  return row?.created_at
}

/**
 * Runs `a` and `b` at once, one of them held back by a number of event-loop turns that grows with the trial
 * (alternating which), so that across the trials each gets to commit first; answers in the order (a, b).
 */
async function race<A, B>(trial: number, a: () => Promise<A>, b: () => Promise<B>): Promise<[A, B]> {
  const later = async <T>(run: () => Promise<T>) => {
    for (let turn = 0; turn < trial; turn++) await new Promise((resolve) => setImmediate(resolve))
    return run()
  }
  return trial % 2 === 0 ? Promise.all([a(), later(b)]) : Promise.all([later(a), b()])
}

describe(`roles under concurrency (${TRIALS} trials each)`, () => {
  it('an editor removed while enrolling a device: the enrollment committed first, or it is refused', async () => {
    const outcomes = { enrolledFirst: 0, refused: 0 }
    for (let trial = 0; trial < TRIALS; trial++) {
      const owner = await createUser(t, 'owner')
      const org = await createOrg(t, owner)
      const editor = await addMember(t, owner, org, 'editor')
      const [enroll, removal] = await race(
        trial,
        () =>
          as(t, editor).post(`/v1/organizations/${org.id}/devices`, {
            platform: 'android',
            serialNumber: `SN-${trial}`,
          }),
        () => as(t, owner).delete(`/v1/organizations/${org.id}/collaborators/${editor.collaboratorId}`),
      )
      expect(removal.status).toBe(200)
      const removedAt = await auditedAt(org, 'collaborator.remove', editor.collaboratorId)
      if (enroll.status === 200) {
        const enrolledAt = await auditedAt(org, 'device.enroll', enroll.body.data.id)
        expect(enrolledAt, 'the device was written after its writer was removed').toBeDefined()
        expect(String(enrolledAt) <= String(removedAt), `enrolled ${enrolledAt}, removed ${removedAt}`).toBe(
          true,
        )
        outcomes.enrolledFirst++
      } else {
        expect(enroll.status).toBe(404)
        const devices = await t.db
          .selectFrom('devices')
          .select('id')
          .where('organization_id', '=', org.id)
          .execute()
        expect(devices).toEqual([])
        outcomes.refused++
      }
    }
    // Both interleavings happened, so both branches above were really checked.
    expect(outcomes.enrolledFirst, JSON.stringify(outcomes)).toBeGreaterThan(0)
    expect(outcomes.refused, JSON.stringify(outcomes)).toBeGreaterThan(0)
  })

  it('an editor demoted to viewer while creating an app: the app committed first, or it is refused', async () => {
    const outcomes = { createdFirst: 0, refused: 0 }
    for (let trial = 0; trial < TRIALS; trial++) {
      const owner = await createUser(t, 'owner')
      const org = await createOrg(t, owner)
      const editor = await addMember(t, owner, org, 'editor')
      const [create, demotion] = await race(
        trial,
        () => as(t, editor).post(`/v1/organizations/${org.id}/apps`, { name: `App ${trial}` }),
        () =>
          as(t, owner).put(`/v1/organizations/${org.id}/collaborators/${editor.collaboratorId}`, {
            role: 'viewer',
          }),
      )
      expect(demotion.status).toBe(200)
      const demotedAt = await auditedAt(org, 'collaborator.update', editor.collaboratorId)
      if (create.status === 200) {
        const createdAt = await auditedAt(org, 'app.create', create.body.data.id)
        expect(createdAt).toBeDefined()
        expect(String(createdAt) <= String(demotedAt), `created ${createdAt}, demoted ${demotedAt}`).toBe(
          true,
        )
        outcomes.createdFirst++
      } else {
        expect(create.body.error.code).toBe(4003)
        const apps = await t.db
          .selectFrom('apps')
          .select('id')
          .where('organization_id', '=', org.id)
          .execute()
        expect(apps).toEqual([])
        outcomes.refused++
      }
    }
    expect(outcomes.createdFirst, JSON.stringify(outcomes)).toBeGreaterThan(0)
    expect(outcomes.refused, JSON.stringify(outcomes)).toBeGreaterThan(0)
  })

  it('two owner changes at once: exactly one succeeds, and the organization has exactly one owner', async () => {
    const winners = { first: 0, second: 0 }
    for (let trial = 0; trial < TRIALS; trial++) {
      const owner = await createUser(t, 'owner')
      const org = await createOrg(t, owner)
      const first = await addMember(t, owner, org, 'admin')
      const second = await addMember(t, owner, org, 'admin')
      const changeTo = (heir: { email: string }) => () =>
        as(t, owner).post(`/v1/organizations/${org.id}/change-owner`, { newOwner: heir.email })
      const replies = await race(trial, changeTo(first), changeTo(second))
      const won = replies.map((r) => r.status === 200)
      expect(won.filter(Boolean), JSON.stringify(replies.map((r) => r.body))).toHaveLength(1)
      const loser = replies.find((r) => r.status !== 200)
      expect(loser?.body.error.code).toBe(4003)
      const owners = await t.db
        .selectFrom('collaborators')
        .select('user_id')
        .where('organization_id', '=', org.id)
        .where('role', '=', 'owner')
        .execute()
      expect(owners).toEqual([{ user_id: won[0] ? first.id : second.id }])
      winners[won[0] ? 'first' : 'second']++
    }
    expect(winners.first, JSON.stringify(winners)).toBeGreaterThan(0)
    expect(winners.second, JSON.stringify(winners)).toBeGreaterThan(0)
  })

  it('an owner change and a DELETE by the old owner: at most one succeeds, and the receipt names an owner', async () => {
    const outcomes = { changed: 0, deleted: 0 }
    for (let trial = 0; trial < TRIALS; trial++) {
      const owner = await createUser(t, 'owner')
      const org = await createOrg(t, owner)
      const heir = await addMember(t, owner, org, 'admin')
      const [change, deletion] = await race(
        trial,
        () => as(t, owner).post(`/v1/organizations/${org.id}/change-owner`, { newOwner: heir.email }),
        () => as(t, owner).delete(`/v1/organizations/${org.id}`),
      )
      expect([change.status, deletion.status].filter((s) => s === 200)).toHaveLength(1)
      if (change.status === 200) {
        expect(deletion.body.error.code).toBe(4003)
        expect((await as(t, heir).get(`/v1/organizations/${org.id}`)).body.data.owner.id).toBe(heir.id)
        outcomes.changed++
      } else {
        expect(change.status).toBe(404)
        const receipt = await as(t, owner).get(`/v1/deletions/${deletion.body.data.deletionId}`)
        expect(receipt.body.data.requestedBy.id).toBe(owner.id)
        // The organization was deleted by its owner: no owner change was ever recorded for it.
        expect(await auditedAt(org, 'organization.ownerChange')).toBeUndefined()
        outcomes.deleted++
      }
    }
    expect(outcomes.changed, JSON.stringify(outcomes)).toBeGreaterThan(0)
    expect(outcomes.deleted, JSON.stringify(outcomes)).toBeGreaterThan(0)
  })
})
