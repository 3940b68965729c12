import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppError } from '../src/http/errors.js'
import { Permission } from '../src/http/permissions.js'
import { changeOrganization, writeInOrganization } from '../src/organizations/write.js'
import { buildTestApp, type TestApp } from './support/app.js'
import { addMember, as, createOrg, createUser } from './support/factories.js'

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp()
})
afterAll(async () => t.close())

// The write lock re-checks the writer under the lock: what was allowed when the request began may not be by the
// time it writes (a member removed or demoted in between).
describe('changes into an organization', () => {
  it('refuses a member who no longer holds the permission (4003) and one no longer a member (3001)', async () => {
    const owner = await createUser(t, 'owner')
    const org = await createOrg(t, owner)
    const member = await addMember(t, owner, org, 'editor')
    let ran = 0
    const work = async () => void ran++
    const asMember = { userId: member.id, email: member.email, name: '', tokenId: '', organizationId: null }

    await changeOrganization(t.db, asMember, org.id, Permission.AppCreate, work)
    expect(ran).toBe(1)

    await as(t, owner).put(`/v1/organizations/${org.id}/collaborators/${member.collaboratorId}`, {
      role: 'viewer',
    })
    const demoted = changeOrganization(t.db, asMember, org.id, Permission.AppCreate, work)
    await expect(demoted).rejects.toMatchObject({ code: 4003 })

    await as(t, owner).delete(`/v1/organizations/${org.id}/collaborators/${member.collaboratorId}`)
    const removed = changeOrganization(t.db, asMember, org.id, Permission.AppCreate, work)
    await expect(removed).rejects.toBeInstanceOf(AppError)
    await expect(removed).rejects.toMatchObject({ code: 3001 })
    expect(ran).toBe(1)
  })

  it('refuses every write once the organization is being deleted', async () => {
    const owner = await createUser(t, 'owner')
    const org = await createOrg(t, owner)
    await as(t, owner).delete(`/v1/organizations/${org.id}`)
    await expect(writeInOrganization(t.db, org.id, async () => undefined)).rejects.toMatchObject({
      code: 3001,
    })
  })
})
