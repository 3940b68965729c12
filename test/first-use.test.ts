import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from './support/app.js'
import { as, createOrg, createUser, type TestOrg, type TestUser } from './support/factories.js'
import { postForm, randomFile } from './support/uploads.js'

// What a new user trips over, from outside: the answers must say what to do. Each expectation is written from
// what a user of the documented API would need to read, not from the code's own tables.

let t: TestApp
let owner: TestUser
let org: TestOrg
let appId: string
let appToken: string
beforeAll(async () => {
  t = await buildTestApp()
  owner = await createUser(t, 'newcomer')
  org = await createOrg(t, owner)
  appId = (await as(t, owner).post(`/v1/organizations/${org.id}/apps`, { name: 'First App' })).body.data.id
  appToken = (await as(t, owner).post(`/v1/organizations/${org.id}/apps/${appId}/tokens`, { name: 'ci' }))
    .body.data.token
})
afterAll(() => t.close())

const builds = () => `/v1/organizations/${org.id}/apps/${appId}/builds`
const CI = '/v1/integrations/builds'

interface FormSchema {
  type: string
  required?: string[]
  properties: Record<string, { type?: string; format?: string; description?: string }>
}
interface Operation {
  requestBody?: { required?: boolean; content: Record<string, { schema: FormSchema }> }
  responses: Record<
    string,
    { content: { 'application/json': { examples: Record<string, { value: unknown }> } } }
  >
}

describe('the upload operations in the OpenAPI document', () => {
  let paths: Record<string, Record<string, Operation>>
  beforeAll(async () => {
    paths = (await t.app.inject({ method: 'GET', url: '/v1/openapi.json' })).json().paths
  })

  const FORMS: [string, string, string, string[]][] = [
    [
      '/v1/organizations/{organizationId}/apps/{applicationId}/builds',
      'post',
      'file',
      ['versionName', 'versionCode', 'changelog'],
    ],
    [
      '/v1/integrations/builds',
      'post',
      'build',
      [
        'versionName',
        'changelog',
        'tags',
        'filter',
        'notifyCollaborators',
        'notifyEmployees',
        'notifyMessage',
        'deployer[name]',
        'deployer[info][commit]',
        'deployer[info][commitMessage]',
        'deployer[info][branch]',
        'deployer[info][tag]',
        'deployer[info][buildNumber]',
        'deployer[info][triggerTimestamp]',
        'deployer[info][buildUrl]',
        'deployer[info][ciUrl]',
        'deployer[info][repositoryUrl]',
      ],
    ],
  ]

  it.each(FORMS)(
    '%s %s: a multipart/form-data body with the binary part and every field',
    (path, method, file, fields) => {
      const body = paths[path]?.[method]?.requestBody
      expect(body?.required).toBe(true)
      expect(Object.keys(body?.content ?? {})).toEqual(['multipart/form-data'])
      const schema = body?.content['multipart/form-data']?.schema
      expect(schema?.type).toBe('object')
      expect(schema?.required).toEqual([file])
      expect(schema?.properties[file]).toMatchObject({ type: 'string', format: 'binary' })
      expect(Object.keys(schema?.properties ?? {}).sort()).toEqual([file, ...fields].sort())
      for (const field of fields) expect(schema?.properties[field]?.description, field).toBeTruthy()
    },
  )

  it.each(FORMS)('%s %s: its 415 example names multipart/form-data, not JSON', (path, method) => {
    const examples = Object.values(
      paths[path]?.[method]?.responses['415']?.content['application/json'].examples ?? {},
    )
    expect(examples.map((e) => e.value)).toEqual([
      {
        status: false,
        error: { code: 3003, message: 'Unsupported Media Type', data: { accepts: ['multipart/form-data'] } },
      },
    ])
  })

  it("a JSON route's 415 example names application/json", () => {
    const examples = paths['/v1/organizations']?.post?.responses['415']?.content['application/json'].examples
    expect(Object.values(examples ?? {}).map((e) => e.value)).toEqual([
      {
        status: false,
        error: { code: 3003, message: 'Unsupported Media Type', data: { accepts: ['application/json'] } },
      },
    ])
  })
})

describe('415: each route says what it reads', () => {
  const send = (url: string, authorization: string, contentType: string, payload: string) =>
    t.app.inject({ method: 'POST', url, headers: { authorization, 'content-type': contentType }, payload })

  it('an upload sent as JSON, or as XML, is told multipart/form-data', async () => {
    for (const [url, token] of [
      [builds(), owner.token],
      [CI, appToken],
    ] as const) {
      for (const type of ['application/json', 'application/xml']) {
        const reply = await send(
          url,
          `Bearer ${token}`,
          type,
          type === 'application/json' ? '{"versionName":"1"}' : '<a/>',
        )
        expect([reply.statusCode, reply.json()], `${url} ${type}`).toEqual([
          415,
          {
            status: false,
            error: {
              code: 3003,
              message: 'Unsupported Media Type',
              data: { accepts: ['multipart/form-data'] },
            },
          },
        ])
      }
    }
  })

  it('a JSON route sent a form is told application/json', async () => {
    const reply = await send(
      '/v1/organizations',
      `Bearer ${owner.token}`,
      'application/x-www-form-urlencoded',
      'name=x',
    )
    expect([reply.statusCode, reply.json()]).toEqual([
      415,
      {
        status: false,
        error: { code: 3003, message: 'Unsupported Media Type', data: { accepts: ['application/json'] } },
      },
    ])
  })
})

describe('a token of the wrong kind', () => {
  it.each([
    ['an app token on an API route', () => appToken, '/v1/organizations', 'api', /API token \(osk_/],
    ['an API token on the CI route', () => owner.token, CI, 'app', /app token \(osa_/],
  ] as const)('%s: 4004, and which token the route needs', async (_, token, url, expected, reason) => {
    const reply = await as(t, token()).get(url)
    expect(reply.status).toBe(401)
    expect(reply.body.error).toMatchObject({ code: 4004, message: 'Invalid Token', data: { expected } })
    expect(reply.body.error.data.reason).toMatch(reason)
  })

  it('an API token uploading on the CI route: the same 4004', async () => {
    const uploaded = await postForm(t, CI, `Bearer ${owner.token}`, [['build', randomFile(100), 'a.apk']])
    expect(uploaded.status).toBe(401)
    expect(uploaded.body.error).toMatchObject({ code: 4004, data: { expected: 'app' } })
  })

  it('a token of neither kind stays a bare 4004', async () => {
    for (const reply of [
      await as(t, 'osk_nonsense').get('/v1/organizations'),
      await as(t, 'nonsense').get(CI),
    ])
      expect(reply.body).toEqual({ status: false, error: { code: 4004, message: 'Invalid Token' } })
  })
})

describe('upload parts', () => {
  it('the members route sent the CI part name (`build`) answers that it expects `file`', async () => {
    const reply = await postForm(t, builds(), `Bearer ${owner.token}`, [['build', randomFile(100), 'a.apk']])
    expect(reply.status).toBe(400)
    expect(reply.body.error.data.errors).toEqual([
      { path: '/body/build', message: expect.stringContaining('`file`') },
    ])
  })

  it('the CI route sent the members part name (`file`) answers that it expects `build`, and what it got', async () => {
    const reply = await postForm(t, CI, `Bearer ${appToken}`, [
      ['versionName', '1.0'],
      ['file', randomFile(100), 'a.apk'],
    ])
    expect(reply.status).toBe(400)
    const [error] = reply.body.error.data.errors
    expect(error.path).toBe('/body/build')
    expect(error.message).toContain('`build`')
    expect(error.message).toContain('`file`')
  })

  it('the file sent as text (curl -F file=path, without @) is told to send a file', async () => {
    const reply = await postForm(t, builds(), `Bearer ${owner.token}`, [['file', 'app-release.apk']])
    expect(reply.status).toBe(400)
    expect(reply.body.error.data.errors).toEqual([
      { path: '/body/file', message: expect.stringContaining('must be a file') },
    ])
  })

  it('nothing of a refused upload is kept', async () => {
    expect((await as(t, owner).get(builds())).body.data.totalDocs).toBe(0)
  })
})

describe('a refused private webhook address', () => {
  it('names WEBHOOK_ALLOW_PRIVATE, the setting that allows it', async () => {
    const reply = await as(t, owner).post(`/v1/organizations/${org.id}/webhooks`, {
      url: 'http://127.0.0.1:9000/hook',
      events: ['*'],
    })
    expect(reply.status).toBe(400)
    expect(reply.body.error.data.errors).toEqual([
      { path: '/body/url', message: expect.stringContaining('WEBHOOK_ALLOW_PRIVATE=true') },
    ])
  })
})

describe('a page beyond the last', () => {
  it('points back at the last page, not at the page before the one asked for', async () => {
    const user = await createUser(t, 'pager')
    for (let i = 0; i < 3; i++) await createOrg(t, user)
    const beyond = await as(t, user).get('/v1/organizations?page=999999&limit=2')
    expect(beyond.status).toBe(200)
    expect(beyond.body.data).toMatchObject({
      items: [],
      totalDocs: 3,
      totalPages: 2,
      page: 999999,
      hasPrevPage: true,
      prevPage: 2,
      hasNextPage: false,
      nextPage: null,
    })
    const last = await as(t, user).get(`/v1/organizations?page=${beyond.body.data.prevPage}&limit=2`)
    expect(last.body.data.items).toHaveLength(1)
    // Within the pages, prevPage is the page before.
    expect((await as(t, user).get('/v1/organizations?page=2&limit=2')).body.data.prevPage).toBe(1)
  })

  it('of an empty list points back at page 1', async () => {
    const reply = await as(t, owner).get(`${builds()}?page=7`)
    expect(reply.body.data).toMatchObject({ totalDocs: 0, totalPages: 1, prevPage: 1, hasPrevPage: true })
  })
})
