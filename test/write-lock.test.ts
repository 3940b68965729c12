import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deleteCollaborator, setCollaboratorRole } from '../src/collaborators/repository.js'
import { nowIso } from '../src/db/ids.js'
import { AppError } from '../src/core/errors.js'
import { Permission } from '../src/core/permissions.js'
import { changeOrganization, writeInOrganization } from '../src/organizations/write.js'
import { buildTestApp, dialect, type TestApp } from './support/app.js'
import { addMember, as, createOrg, createUser } from './support/factories.js'

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp()
})
afterAll(async () => t.close())

/** Resolves once `probe` is true, polling; fails after two seconds. */
async function until(probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 2_000
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** True once some session is waiting for a row lock (PostgreSQL); on SQLite, writers queue in-process. */
async function someoneWaitsForALock(): Promise<boolean> {
  if (dialect !== 'postgres') return true
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()
  `.execute(t.db)
  return (rows[0]?.n ?? 0) > 0
}

// The writer's role is the one it holds at commit: a change of role that commits while the write waits for the
// organization's lock is seen by the write. The first transaction holds the lock, the second is made to wait for
// it, and only then does the first demote (or remove) the second's caller and commit.
describe('changes into an organization', () => {
  for (const change of ['demoted', 'removed'] as const) {
    it(`refuses a member ${change} while the write waited for the lock`, async () => {
      const owner = await createUser(t, 'owner')
      const org = await createOrg(t, owner)
      const member = await addMember(t, owner, org, 'editor')
      const asOwner = { userId: owner.id, email: owner.email, name: '', tokenId: '', organizationId: null }
      const asMember = { userId: member.id, email: member.email, name: '', tokenId: '', organizationId: null }
      let ran = 0

      let release = () => undefined as void
      const held = new Promise<void>((resolve) => (release = resolve))
      let locked = () => undefined as void
      const lockTaken = new Promise<void>((resolve) => (locked = resolve))
      const first = changeOrganization(
        t.db,
        asOwner,
        org.id,
        Permission.CollaboratorUpdate,
        async ({ trx }) => {
          locked()
          await held
          if (change === 'demoted')
            await setCollaboratorRole(trx, org.id, member.collaboratorId, 'viewer', nowIso())
          else await deleteCollaborator(trx, org.id, member.collaboratorId)
        },
      )
      await lockTaken
      const second = changeOrganization(t.db, asMember, org.id, Permission.AppCreate, async () => void ran++)
      await until(someoneWaitsForALock)
      release()
      await first
      await expect(second).rejects.toBeInstanceOf(AppError)
      await expect(second).rejects.toMatchObject({ code: change === 'demoted' ? 4003 : 3001 })
      expect(ran).toBe(0)
    })
  }

  it('refuses every write once the organization is being deleted', async () => {
    const owner = await createUser(t, 'owner')
    const org = await createOrg(t, owner)
    await as(t, owner).delete(`/v1/organizations/${org.id}`)
    await expect(writeInOrganization(t.db, org.id, async () => undefined)).rejects.toMatchObject({
      code: 3001,
    })
  })
})
