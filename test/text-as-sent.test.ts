import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from './support/app.js'
import { editRecords, tarGz, withEntry } from './support/archives.js'
import { as, createOrg, createUser, type TestOrg, type TestUser } from './support/factories.js'
import { expectRefused, exportedWorkspace } from './support/imports.js'
import { postForm, randomFile } from './support/uploads.js'

// Issue 21, item 8: text is kept exactly as sent, or refused with 3000 naming the field — on both databases alike.
// JSON bodies are written here byte by byte: a lone surrogate escape, bytes that are not UTF-8.

let t: TestApp
let owner: TestUser
let org: TestOrg
beforeAll(async () => {
  t = await buildTestApp()
  owner = await createUser(t, 'owner')
  org = await createOrg(t, owner)
})
afterAll(async () => t?.close())

const devices = () => `/v1/organizations/${org.id}/devices`

function postRaw(url: string, payload: string | Buffer) {
  return t.app.inject({
    method: 'POST',
    url,
    headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/json' },
    payload,
  })
}

function expectField(reply: Awaited<ReturnType<typeof postRaw>>, path: string, message: RegExp) {
  expect(reply.statusCode, reply.body).toBe(400)
  const error = reply.json().error
  expect(error.code).toBe(3000)
  expect(error.data.errors).toHaveLength(1)
  expect(error.data.errors[0].path).toBe(path)
  expect(error.data.errors[0].message).toMatch(message)
}

const deviceCount = async () =>
  (await as(t, owner).get(`/v1/organizations/${org.id}`)).body.data.counts.devices

describe('JSON bodies', () => {
  it('a lone surrogate is refused naming the field; two of them no longer collide', async () => {
    const before = await deviceCount()
    for (const serial of ['\\ud800x', '\\udbffx', 'x\\udc00'])
      expectField(
        await postRaw(devices(), `{"platform":"android","serialNumber":"${serial}"}`),
        '/body/serialNumber',
        /unpaired surrogates/,
      )
    expect(await deviceCount()).toBe(before)
  })

  it('bytes that are not UTF-8 are refused naming the field, not kept as U+FFFD', async () => {
    const payload = Buffer.concat([
      Buffer.from('{"platform":"android","serialNumber":"SN-'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}'),
    ])
    const before = await deviceCount()
    expectField(await postRaw(devices(), payload), '/body/serialNumber', /not valid UTF-8/)
    expect(await deviceCount()).toBe(before)
  })

  it('text outside the BMP, and U+FFFD sent as such, are kept exactly', async () => {
    for (const serialNumber of ['📱-\u{1F4F1}', 'SN-\ufffd']) {
      const made = await as(t, owner).post(devices(), { platform: 'apple', serialNumber })
      expect(made.status).toBe(200)
      const listed = (await as(t, owner).get(`${devices()}?limit=100`)).body.data.items
      expect(listed.map((d: { serialNumber: string }) => d.serialNumber)).toContain(serialNumber)
    }
  })
})

describe('multipart text fields', () => {
  it('NUL in a build upload field is refused with 3000 naming it, nothing kept', async () => {
    const app = (await as(t, owner).post(`/v1/organizations/${org.id}/apps`, { name: 'Texts' })).body.data
    const url = `/v1/organizations/${org.id}/apps/${app.id}/builds`
    const reply = await postForm(t, url, `Bearer ${owner.token}`, [
      ['versionName', '1.0\u0000beta'],
      ['file', randomFile(100), 'a.apk'],
    ])
    expect(reply.status).toBe(400)
    expect(reply.body.error.code).toBe(3000)
    expect(reply.body.error.data.errors).toEqual([
      { path: '/body/versionName', message: 'must not contain NUL characters' },
    ])
    expect((await as(t, owner).get(`${url}`)).body.data.totalDocs).toBe(0)

    const token = (await as(t, owner).post(`${url.replace('/builds', '/tokens')}`, { name: 'ci' })).body.data
      .token
    const ci = await postForm(t, '/v1/integrations/builds', `bearer ${token}`, [
      ['changelog', 'fixed\u0000'],
      ['build', randomFile(100), 'a.apk'],
    ])
    expect(ci.status).toBe(400)
    expect(ci.body.error.data.errors).toEqual([
      { path: '/body/changelog', message: 'must not contain NUL characters' },
    ])
    expect((await as(t, owner).get(`${url}`)).body.data.totalDocs).toBe(0)
  })
})

describe('an imported archive', () => {
  // A whole export first: slow on a loaded machine.
  it('a record holding a lone surrogate is refused, nothing written', async () => {
    const { entries } = await exportedWorkspace(t, owner)
    const bytes = editRecords(entries, 'devices.ndjson', (rows) =>
      rows.map((r, i) => (i === 0 ? { ...r, name: 'x\ud800' } : r)),
    )
    // JSON.stringify writes a lone surrogate as the escape \ud800, as another exporter might.
    expect(bytes.toString()).toContain('\\ud800')
    await expectRefused(
      t,
      owner,
      await tarGz(withEntry(entries, 'devices.ndjson', bytes)),
      /record 1 of devices.ndjson: name must not contain unpaired surrogates/,
    )
  }, 30_000)
})
