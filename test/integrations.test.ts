import { beforeAll, describe, expect, it } from 'vitest'
import type { TestApp } from './support/app.js'
import { BACKENDS, unavailable, useBackends } from './support/backends.js'
import { addMember, as, createOrg, createUser, type TestOrg, type TestUser } from './support/factories.js'
import { purgeNow, rowsOf } from './support/purge.js'
import { objectsUnder, storedSize, postForm, randomFile, sha256, type FormPart } from './support/uploads.js'

// Applivery's CI uploaders, as they send their forms, against orgspace: app tokens, both spellings of the deployer
// details, and a token that works nowhere but on the integration routes of its own app.

const backends = useBackends()

const FASTLANE: FormPart[] = [
  ['versionName', '2.1.0'],
  ['changelog', 'Built by fastlane'],
  ['tags', 'beta, qa'],
  ['filter', 'group1,group2|group3'],
  ['notifyCollaborators', 'true'],
  ['notifyEmployees', 'false'],
  ['notifyMessage', 'New build'],
  ['deployer[name]', 'fastlane'],
  ['deployer[info][commit]', 'abc1234'],
  ['deployer[info][commitMessage]', 'Fix login'],
  ['deployer[info][branch]', 'main'],
  ['deployer[info][tag]', '2.1.0'],
  ['deployer[info][buildNumber]', '42'],
  ['deployer[info][repositoryUrl]', 'git@example.test:acme/app.git'],
  ['deployer[info][triggerTimestamp]', '1700000000'],
]

const BITRISE: FormPart[] = [
  ['versionName', '2.2.0'],
  ['changelog', 'Built by Bitrise'],
  ['notifyCollaborators', 'false'],
  ['notifyEmployees', 'false'],
  ['tags', ''],
  ['filter', ''],
  ['deployer.name', 'bitrise'],
  ['deployer.info.commitMessage', 'Bump version'],
  ['deployer.info.commit', 'def5678'],
  ['deployer.info.branch', 'release'],
  ['deployer.info.tag', ''],
  ['deployer.info.triggerTimestamp', '1700000001'],
  ['deployer.info.buildUrl', 'https://ci.example.test/build/7'],
  ['deployer.info.ciUrl', 'https://ci.example.test'],
  ['deployer.info.repositoryUrl', 'https://example.test/acme/app'],
  ['deployer.info.buildNumber', '7'],
  // Sent by some versions of the steps; orgspace has no use for them and must not refuse them.
  ['buildPlatform', 'ios'],
  ['deployer.info.provisionUrl', 'https://ci.example.test/p'],
]

describe.each(BACKENDS)('CI uploads on %s storage', (backend) => {
  describe.skipIf(unavailable(backend))('', () => {
    let t: TestApp
    let owner: TestUser
    let org: TestOrg
    let appId: string
    let token: string
    beforeAll(async () => {
      t = await backends.app(backend)
      owner = await createUser(t, 'owner')
      org = await createOrg(t, owner)
      appId = (await as(t, owner).post(`/v1/organizations/${org.id}/apps`, { name: 'CI App' })).body.data.id
      token = (await as(t, owner).post(`/v1/organizations/${org.id}/apps/${appId}/tokens`, { name: 'ci' }))
        .body.data.token
    })

    it('takes the fastlane spelling (deployer[info][commit]) with `bearer` in lower case', async () => {
      const file = randomFile(40_000)
      const reply = await postForm(t, '/v1/integrations/builds', `bearer ${token}`, [
        ...FASTLANE,
        ['build', file, 'App.ipa'],
      ])
      expect(reply.status, JSON.stringify(reply.body)).toBe(200)
      expect(reply.body.status).toBe(true)
      expect(reply.body.data).toMatchObject({
        id: expect.stringMatching(/^[a-f0-9]{24}$/),
        applicationId: appId,
        fileName: 'App.ipa',
        size: file.length,
        sha256: sha256(file),
        versionName: '2.1.0',
        changelog: 'Built by fastlane',
        tags: ['beta', 'qa'],
        deployer: {
          name: 'fastlane',
          info: {
            commit: 'abc1234',
            commitMessage: 'Fix login',
            branch: 'main',
            tag: '2.1.0',
            buildNumber: '42',
            repositoryUrl: 'git@example.test:acme/app.git',
            triggerTimestamp: '1700000000',
          },
        },
        uploadedBy: { id: owner.id, email: owner.email },
      })
      // The same build, with its deployer, through the members' API; the object under the organization's prefix.
      const seen = await as(t, owner).get(
        `/v1/organizations/${org.id}/apps/${appId}/builds/${reply.body.data.id}`,
      )
      expect(seen.body.data).toEqual(reply.body.data)
      expect(
        (await objectsUnder(t.storage, `${org.id}/${appId}/`)).get(
          `${org.id}/${appId}/${reply.body.data.id}`,
        ),
      ).toBe(storedSize(file.length))
    })

    it('takes the Bitrise spelling (deployer.info.commit) with `BEARER`, ignoring parts it has no use for', async () => {
      const file = randomFile(30_000)
      const reply = await postForm(t, '/v1/integrations/builds', `BEARER ${token}`, [
        ['build', file, 'app-release.aab'],
        ['simulatorBuild', randomFile(5_000), 'app.zip'],
        ...BITRISE,
      ])
      expect(reply.status, JSON.stringify(reply.body)).toBe(200)
      expect(reply.body.data).toMatchObject({
        versionName: '2.2.0',
        tags: [],
        size: file.length,
        sha256: sha256(file),
        deployer: {
          name: 'bitrise',
          info: {
            commit: 'def5678',
            commitMessage: 'Bump version',
            branch: 'release',
            tag: '',
            buildNumber: '7',
            buildUrl: 'https://ci.example.test/build/7',
            ciUrl: 'https://ci.example.test',
            repositoryUrl: 'https://example.test/acme/app',
            triggerTimestamp: '1700000001',
          },
        },
      })
      expect(reply.body.data.deployer.info).not.toHaveProperty('provisionUrl')
      // Only the build was kept: the dropped part left nothing in storage.
      const keys = [...(await objectsUnder(t.storage, `${org.id}/`)).keys()]
      expect(keys).toContain(`${org.id}/${appId}/${reply.body.data.id}`)
      expect(keys.every((key) => /^[a-f0-9]{24}\/[a-f0-9]{24}\/[a-f0-9]{24}$/.test(key))).toBe(true)

      const listed = await t.app.inject({
        url: '/v1/integrations/builds',
        headers: { authorization: `bearer ${token}` },
      })
      expect(listed.statusCode).toBe(200)
      const items = JSON.parse(listed.body).data.items as { id: string }[]
      expect(items[0]?.id).toBe(reply.body.data.id)
    })

    it('refuses a missing build part and bad flags with 3000, keeping nothing', async () => {
      const before = (await objectsUnder(t.storage, `${org.id}/`)).size
      const none = await postForm(t, '/v1/integrations/builds', `bearer ${token}`, FASTLANE)
      expect(none.status).toBe(400)
      expect(none.body.error.data.errors).toEqual([{ path: '/body/build', message: expect.any(String) }])
      const flag = await postForm(t, '/v1/integrations/builds', `bearer ${token}`, [
        ['build', randomFile(100), 'a.ipa'],
        ['notifyEmployees', 'maybe'],
      ])
      expect(flag.status).toBe(400)
      expect(flag.body.error.data.errors[0].path).toBe('/body/notifyEmployees')
      expect((await objectsUnder(t.storage, `${org.id}/`)).size).toBe(before)
    })
  })
})

describe('app tokens', () => {
  let t: TestApp
  let owner: TestUser
  let org: TestOrg
  let apps: { id: string }[]
  beforeAll(async () => {
    t = await backends.app('file')
    owner = await createUser(t, 'owner')
    org = await createOrg(t, owner)
    apps = []
    for (const name of ['Alpha', 'Beta'])
      apps.push((await as(t, owner).post(`/v1/organizations/${org.id}/apps`, { name })).body.data)
  })

  const tokens = (appId: string) => `/v1/organizations/${org.id}/apps/${appId}/tokens`
  const upload = (authorization: string | null) =>
    postForm(t, '/v1/integrations/builds', authorization, [['build', randomFile(100), 'a.apk']])

  it('are shown once, stored hashed, listed without their value, for owner, admin and editor only', async () => {
    const alpha = apps[0]?.id ?? ''
    const created = await as(t, owner).post(tokens(alpha), { name: 'fastlane', expiresInDays: 30 })
    expect(created.status).toBe(200)
    expect(created.body.data).toMatchObject({ name: 'fastlane', token: expect.stringMatching(/^osa_/) })
    const secret = created.body.data.token.split('_').slice(3).join('_')
    const stored = await t.db
      .selectFrom('app_tokens')
      .selectAll()
      .where('id', '=', created.body.data.id)
      .executeTakeFirstOrThrow()
    expect(JSON.stringify(stored)).not.toContain(secret)
    expect(stored.secret_hash).toBe(sha256(Buffer.from(secret)))
    const listed = (await as(t, owner).get(tokens(alpha))).body.data
    expect(listed.items[0]).toEqual({
      id: created.body.data.id,
      name: 'fastlane',
      createdAt: created.body.data.createdAt,
      expiresAt: created.body.data.expiresAt,
      createdBy: { id: owner.id, email: owner.email },
      lastUsedAt: null,
    })
    for (const role of ['admin', 'editor'] as const) {
      const member = await addMember(t, owner, org, role)
      expect((await as(t, member).post(tokens(alpha), { name: role })).status).toBe(200)
    }
    const viewer = await addMember(t, owner, org, 'viewer')
    for (const reply of [
      await as(t, viewer).post(tokens(alpha), { name: 'v' }),
      await as(t, viewer).get(tokens(alpha)),
    ])
      expect(reply.body.error.code).toBe(4003)
  })

  it('work only on the integration routes of their own app', async () => {
    const [alpha, beta] = apps.map((app) => app.id)
    const token = (await as(t, owner).post(tokens(alpha ?? ''), { name: 'alpha' })).body.data
    const auth = `Bearer ${token.token}`
    expect((await upload(auth)).body.data.applicationId).toBe(alpha)
    // Every other route refuses it as an invalid token, saying an API token is needed there: the member routes,
    // the other app's builds, even its own.
    for (const [method, url] of [
      ['GET', '/v1/users/me'],
      ['GET', `/v1/organizations/${org.id}`],
      ['GET', `/v1/organizations/${org.id}/apps/${alpha}/builds`],
      ['GET', `/v1/organizations/${org.id}/apps/${beta}/builds`],
      ['POST', `/v1/organizations/${org.id}/apps/${beta}/tokens`],
      ['DELETE', `/v1/organizations/${org.id}`],
    ] as const) {
      const reply = await t.app.inject({ method, url, headers: { authorization: auth } })
      expect(JSON.parse(reply.body), `${method} ${url}`).toEqual({
        status: false,
        error: {
          code: 4004,
          message: 'Invalid Token',
          data: { expected: 'api', reason: expect.any(String) },
        },
      })
    }
    expect(
      (
        await postForm(t, `/v1/organizations/${org.id}/apps/${beta}/builds`, auth, [
          ['file', randomFile(10), 'x'],
        ])
      ).status,
    ).toBe(401)
    // Another app's path does not reach this app's token either.
    expect((await as(t, owner).delete(`${tokens(beta ?? '')}/${token.id}`)).status).toBe(404)
    expect((await upload(auth)).status).toBe(200)
  })

  it('answer 4002 without a token, 4004 for a user token or a revoked one, 4005 once expired', async () => {
    const alpha = apps[0]?.id ?? ''
    expect((await upload(null)).body.error.code).toBe(4002)
    expect((await upload(`Bearer ${owner.token}`)).body.error.code).toBe(4004)
    expect(
      (await upload('Bearer osa_' + '0'.repeat(24) + '_' + '0'.repeat(24) + '_' + 'A'.repeat(43))).body.error
        .code,
    ).toBe(4004)
    const revoked = (await as(t, owner).post(tokens(alpha), { name: 'old' })).body.data
    expect((await as(t, owner).delete(`${tokens(alpha)}/${revoked.id}`)).status).toBe(200)
    expect((await upload(`Bearer ${revoked.token}`)).body.error.code).toBe(4004)
    const expired = (await as(t, owner).post(tokens(alpha), { name: 'short', expiresInDays: 1 })).body.data
    await t.db
      .updateTable('app_tokens')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .where('id', '=', expired.id)
      .execute()
    expect((await upload(`Bearer ${expired.token}`)).body.error.code).toBe(4005)
  })

  it('go with their app, and with their organization', async () => {
    const doomedOrg = await createOrg(t, owner)
    const appOf = async (name: string) =>
      (await as(t, owner).post(`/v1/organizations/${doomedOrg.id}/apps`, { name })).body.data.id as string
    const [gone, kept] = [await appOf('Gone'), await appOf('Kept')]
    const tokenOf = async (appId: string) =>
      (await as(t, owner).post(`/v1/organizations/${doomedOrg.id}/apps/${appId}/tokens`, { name: 'ci' })).body
        .data.token as string
    const [goneToken, keptToken] = [await tokenOf(gone), await tokenOf(kept)]
    expect((await as(t, owner).delete(`/v1/organizations/${doomedOrg.id}/apps/${gone}`)).status).toBe(200)
    expect((await upload(`Bearer ${goneToken}`)).body.error.code).toBe(4004)
    expect((await upload(`Bearer ${keptToken}`)).status).toBe(200)
    expect(
      (await t.db.selectFrom('app_tokens').select('id').where('app_id', '=', gone).execute()).length,
    ).toBe(0)

    expect((await as(t, owner).delete(`/v1/organizations/${doomedOrg.id}`)).status).toBe(200)
    // Refused from the DELETE on, before the purge reaches the token.
    expect((await upload(`Bearer ${keptToken}`)).body.error.code).toBe(4004)
    await purgeNow(t.db)
    expect(await rowsOf(t.db, doomedOrg.id)).toMatchObject({ app_tokens: 0, builds: 0, organizations: 0 })
  })
})
