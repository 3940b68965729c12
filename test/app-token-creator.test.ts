import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from './support/app.js'
import { addMember, as, createOrg, createUser, type TestOrg, type TestUser } from './support/factories.js'
import { postForm, randomFile } from './support/uploads.js'

// Issue 21, item 5: an app token acts for the member who created it, so it stops working when they leave the
// workspace or drop below editor; the token list says who created each token and when it was last used, and the
// collaborator list how many of a member's tokens a removal or a demotion to viewer would stop.

let t: TestApp
let owner: TestUser
let org: TestOrg
let appId: string
beforeAll(async () => {
  t = await buildTestApp()
  owner = await createUser(t, 'owner')
  org = await createOrg(t, owner)
  appId = (await as(t, owner).post(`/v1/organizations/${org.id}/apps`, { name: 'CI app' })).body.data.id
})
afterAll(async () => t?.close())

const tokens = () => `/v1/organizations/${org.id}/apps/${appId}/tokens`
const collaborator = (id: string) => `/v1/organizations/${org.id}/collaborators/${id}`

async function editorWithToken() {
  const editor = await addMember(t, owner, org, 'editor')
  const made = await as(t, editor).post(tokens(), { name: `ci-${editor.email}` })
  expect(made.status).toBe(200)
  return { editor, token: made.body.data.token as string, tokenId: made.body.data.id as string }
}

const listBuilds = (token: string) =>
  t.app.inject({
    method: 'GET',
    url: '/v1/integrations/builds',
    headers: { authorization: `bearer ${token}` },
  })
const upload = (token: string) =>
  postForm(t, '/v1/integrations/builds', `bearer ${token}`, [['build', randomFile(100), 'app.apk']])

function expectInvalid(reply: { statusCode?: number; status?: number; body: unknown }) {
  expect(reply.statusCode ?? reply.status).toBe(401)
  const body = typeof reply.body === 'string' ? JSON.parse(reply.body) : reply.body
  expect(body.error.code).toBe(4004)
}

describe('an app token follows its creator', () => {
  it('stops working when its creator is made a viewer', async () => {
    const { editor, token } = await editorWithToken()
    expect((await upload(token)).status).toBe(200)
    expect((await as(t, owner).put(collaborator(editor.collaboratorId), { role: 'viewer' })).status).toBe(200)
    expectInvalid(await upload(token))
    expectInvalid(await listBuilds(token))
  })

  it('stops working when its creator is removed', async () => {
    const { editor, token } = await editorWithToken()
    expect((await listBuilds(token)).statusCode).toBe(200)
    expect((await as(t, owner).delete(collaborator(editor.collaboratorId))).status).toBe(200)
    expectInvalid(await upload(token))
    expectInvalid(await listBuilds(token))
  })

  it('keeps working for an admin made an editor (still allowed to create one)', async () => {
    const admin = await addMember(t, owner, org, 'admin')
    const token = (await as(t, admin).post(tokens(), { name: 'admin-ci' })).body.data.token
    expect((await as(t, owner).put(collaborator(admin.collaboratorId), { role: 'editor' })).status).toBe(200)
    expect((await upload(token)).status).toBe(200)
  })
})

describe('what the lists say', () => {
  it('the token list shows who created each token and when it was last used', async () => {
    const { editor, token, tokenId } = await editorWithToken()
    const listed = async () =>
      (await as(t, owner).get(`${tokens()}?limit=100`)).body.data.items.find(
        (i: { id: string }) => i.id === tokenId,
      )
    expect(await listed()).toMatchObject({ createdBy: { email: editor.email }, lastUsedAt: null })
    const before = Date.now()
    expect((await listBuilds(token)).statusCode).toBe(200)
    const used = await listed()
    expect(Date.parse(used.lastUsedAt)).toBeGreaterThanOrEqual(before - 1000)
    expect(Date.parse(used.lastUsedAt)).toBeLessThanOrEqual(Date.now())
  })

  it('the collaborator list counts the unexpired tokens each member created', async () => {
    const { editor } = await editorWithToken()
    await as(t, editor).post(tokens(), { name: 'second' })
    await as(t, editor).post(tokens(), { name: 'expiring', expiresInDays: 1 })
    await t.db
      .updateTable('app_tokens')
      .set({ expires_at: '2000-01-01T00:00:00.000Z' })
      .where('name', '=', 'expiring')
      .execute()
    const viewer = await addMember(t, owner, org, 'viewer')
    const items = (await as(t, owner).get(`/v1/organizations/${org.id}/collaborators?limit=100`)).body.data
      .items
    const count = (email: string) =>
      items.find((c: { user: { email: string } }) => c.user.email === email)?.appTokens
    expect(count(editor.email)).toBe(2)
    expect(count(viewer.email)).toBe(0)
  })
})
