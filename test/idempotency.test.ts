import { PassThrough } from 'node:stream'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.js'
import { openDatabase } from '../src/db/connect.js'
import { buildTestApp, dialect, type TestApp } from './support/app.js'
import type { ManualClock } from './support/clock.js'
import { as, createUser, ownerWithOrg, type TestOrg, type TestUser } from './support/factories.js'
import { purgeNow, rowsOf } from './support/purge.js'
import { multipart, objectsUnder, randomFile, sha256, type FormPart } from './support/uploads.js'

// Idempotency-Key (docs/api.md §14) from the outside: what a retry answers, and what the database and the storage
// hold afterwards — counted with SQL and storage listings, not through the code under test.

const DAY_MS = 86_400_000
let t: TestApp
let clock: ManualClock
let seq = 0
const newKey = () => `key-${process.pid}-${++seq}-${Math.random().toString(36).slice(2)}`

beforeAll(async () => {
  t = await buildTestApp()
  clock = t.clock
})
afterAll(async () => t.close())

interface Sent {
  status: number
  text: string
  body: any
  replayed: boolean
}

async function send(
  user: TestUser | string,
  method: 'POST' | 'PUT' | 'DELETE',
  url: string,
  key: string | undefined,
  body?: object,
): Promise<Sent> {
  const token = typeof user === 'string' ? user : user.token
  const response = await t.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${token}`, ...(key === undefined ? {} : { 'idempotency-key': key }) },
    ...(body === undefined ? {} : { payload: body }),
  })
  return {
    status: response.statusCode,
    text: response.body,
    body: JSON.parse(response.body),
    replayed: response.headers['idempotent-replayed'] === 'true',
  }
}

async function appsNamed(org: TestOrg, name: string): Promise<number> {
  const rows = await t.db
    .selectFrom('apps')
    .select('id')
    .where('organization_id', '=', org.id)
    .where('name', '=', name)
    .execute()
  return rows.length
}

const keyRows = (key: string) =>
  t.db.selectFrom('idempotency_keys').selectAll().where('idempotency_key', '=', key).execute()

describe('a retried write', () => {
  it('runs once: the retry gets the same status and body, marked replayed', async () => {
    const { owner, org } = await ownerWithOrg(t)
    const key = newKey()
    const url = `/v1/organizations/${org.id}/apps`
    const first = await send(owner, 'POST', url, key, { name: 'Field App' })
    const again = await send(owner, 'POST', url, key, { name: 'Field App' })
    expect(first.status, first.text).toBe(200)
    expect(first.replayed).toBe(false)
    expect(again).toEqual({ ...first, replayed: true })
    expect(await appsNamed(org, 'Field App')).toBe(1)
    // The same body with its fields in another order is the same request.
    const reordered = await send(owner, 'POST', url, key, { description: 'x', name: 'Other' })
    expect(reordered.status).toBe(422)
    const same = await t.app.inject({
      method: 'POST',
      url,
      headers: {
        authorization: `Bearer ${owner.token}`,
        'idempotency-key': key,
        'content-type': 'application/json',
      },
      payload: '{ "name" : "Field App" }',
    })
    expect(same.headers['idempotent-replayed']).toBe('true')
    expect(same.body).toBe(first.text)
  })

  it('without a key runs again, as before', async () => {
    const { owner, org } = await ownerWithOrg(t)
    const url = `/v1/organizations/${org.id}/apps`
    await send(owner, 'POST', url, undefined, { name: 'Twice' })
    await send(owner, 'POST', url, undefined, { name: 'Twice' })
    expect(await appsNamed(org, 'Twice')).toBe(2)
  })

  it('with the key and another body, method or path answers 422 / 3005 and runs nothing', async () => {
    const { owner, org } = await ownerWithOrg(t)
    const key = newKey()
    const url = `/v1/organizations/${org.id}/apps`
    const first = await send(owner, 'POST', url, key, { name: 'One' })
    expect(first.status).toBe(200)
    const otherBody = await send(owner, 'POST', url, key, { name: 'Two' })
    expect(otherBody.status).toBe(422)
    expect(otherBody.body).toEqual({
      status: false,
      error: { code: 3005, message: 'Idempotency-Key reused with a different request' },
    })
    const otherPath = await send(owner, 'PUT', `${url}/${first.body.data.id}`, key, { name: 'One' })
    expect(otherPath.status).toBe(422)
    expect(otherPath.body.error.code).toBe(3005)
    expect(await appsNamed(org, 'Two')).toBe(0)
    expect(
      (await t.db.selectFrom('apps').select('name').where('id', '=', first.body.data.id).execute())[0],
    ).toEqual({ name: 'One' })
  })

  it('refuses a key that is not 1–255 printable ASCII characters with 3000 naming the header', async () => {
    const { owner, org } = await ownerWithOrg(t)
    for (const key of ['k'.repeat(256), 'clé', 'tab\there']) {
      const reply = await send(owner, 'POST', `/v1/organizations/${org.id}/apps`, key, { name: 'Bad key' })
      expect(reply.status, key).toBe(400)
      expect(reply.body.error.code).toBe(3000)
      expect(reply.body.error.data.errors.map((e: { path: string }) => e.path)).toContain(
        '/headers/idempotency-key',
      )
    }
    expect(await appsNamed(org, 'Bad key')).toBe(0)
    const longest = await send(owner, 'POST', `/v1/organizations/${org.id}/apps`, '~'.repeat(255), {
      name: 'Long key',
    })
    expect(longest.status).toBe(200)
  })

  it("is the caller's own: another user's same key runs independently", async () => {
    const { owner, org } = await ownerWithOrg(t)
    const other = await ownerWithOrg(t)
    const key = newKey()
    const mine = await send(owner, 'POST', `/v1/organizations/${org.id}/apps`, key, { name: 'Mine' })
    const theirs = await send(other.owner, 'POST', `/v1/organizations/${other.org.id}/apps`, key, {
      name: 'Theirs',
    })
    expect([mine.status, theirs.status]).toEqual([200, 200])
    expect(theirs.replayed).toBe(false)
    expect(await appsNamed(other.org, 'Theirs')).toBe(1)
    // Nor may a stranger replay the owner's answer with the owner's key: it runs, as the stranger, and fails.
    const stranger = await send(await createUser(t), 'POST', `/v1/organizations/${org.id}/apps`, key, {
      name: 'Mine',
    })
    expect(stranger.status).toBe(404)
    expect(stranger.replayed).toBe(false)
  })

  it('is not kept when it failed with a 5xx: the retry runs again', async () => {
    const { owner, org } = await ownerWithOrg(t)
    const key = newKey()
    const url = `/v1/organizations/${org.id}/apps`
    await injectAppFault(true)
    try {
      const failed = await send(owner, 'POST', url, key, { name: 'Faulty' })
      expect(failed.status).toBe(500)
      expect(failed.body.error.code).toBe(1000)
    } finally {
      await injectAppFault(false)
    }
    expect(await keyRows(key)).toEqual([])
    const retried = await send(owner, 'POST', url, key, { name: 'Faulty' })
    expect(retried.status).toBe(200)
    expect(retried.replayed).toBe(false)
    expect(await appsNamed(org, 'Faulty')).toBe(1)
  })
})

/** A database fault: inserting an app named 'Faulty' fails, as a broken disk or constraint bug would. */
async function injectAppFault(on: boolean): Promise<void> {
  if (dialect === 'sqlite') {
    await sql`drop trigger if exists apps_fault`.execute(t.db)
    if (on)
      await sql`create trigger apps_fault before insert on apps when new.name = 'Faulty'
        begin select raise(abort, 'injected fault'); end`.execute(t.db)
    return
  }
  await sql`drop trigger if exists apps_fault on apps`.execute(t.db)
  if (!on) return
  await sql`create or replace function apps_fault() returns trigger language plpgsql as $$
    begin if new.name = 'Faulty' then raise exception 'injected fault'; end if; return new; end $$`.execute(
    t.db,
  )
  await sql`create trigger apps_fault before insert on apps for each row execute function apps_fault()`.execute(
    t.db,
  )
}

describe('concurrent repeats', () => {
  it('of 25 uploads with one key store exactly one build and object; the others are replayed or answer 5002', async () => {
    const { owner, org } = await ownerWithOrg(t)
    const appId = (await as(t, owner).post(`/v1/organizations/${org.id}/apps`, { name: 'Raced' })).body.data
      .id
    const url = `/v1/organizations/${org.id}/apps/${appId}/builds`
    const seen = new Set<string>()
    for (let trial = 0; trial < 25; trial++) {
      const key = newKey()
      const parts: FormPart[] = [['file', randomFile(20_000), `trial-${trial}.apk`]]
      const before = await buildIds(appId)
      // Staggered by event-loop turns, so some repeats arrive while the first runs and some after it answered.
      const replies = await Promise.all(
        Array.from({ length: 25 }, async (_, i) => {
          for (let turn = 0; turn < i * (trial % 5); turn++) await nextTurn()
          return upload(url, `Bearer ${owner.token}`, key, parts)
        }),
      )
      const added = (await buildIds(appId)).filter((id) => !before.includes(id))
      expect(added).toHaveLength(1)
      const objects = [...(await objectsUnder(t.storage, `${org.id}/${appId}/`)).keys()]
      expect(objects.filter((k) => !before.some((id) => k.endsWith(id)))).toEqual([
        `${org.id}/${appId}/${added[0]}`,
      ])
      const rows = await keyRows(key)
      expect(rows).toHaveLength(1)
      const fresh = replies.filter((r) => r.status === 200 && !r.replayed)
      expect(fresh).toHaveLength(1)
      expect(JSON.parse(fresh[0]?.text ?? '{}').data.id).toBe(added[0])
      for (const reply of replies) {
        if (reply.status === 409) {
          expect(JSON.parse(reply.text).error).toEqual({
            code: 5002,
            message: 'A request with this Idempotency-Key is still in progress',
          })
          seen.add('in progress')
        } else {
          expect(reply.status).toBe(200)
          expect(reply.text).toBe(rows[0]?.body)
          if (reply.replayed) seen.add('replayed')
        }
      }
    }
    expect([...seen].sort()).toEqual(['in progress', 'replayed'])
  })
})

async function upload(url: string, authorization: string, key: string, parts: FormPart[]) {
  const { body, contentType } = await multipart(parts)
  const response = await t.app.inject({
    method: 'POST',
    url,
    headers: { authorization, 'content-type': contentType, 'idempotency-key': key },
    payload: body,
  })
  return {
    status: response.statusCode,
    text: response.body,
    replayed: response.headers['idempotent-replayed'] === 'true',
  }
}

const buildIds = async (appId: string) =>
  (await t.db.selectFrom('builds').select('id').where('app_id', '=', appId).execute()).map((r) => r.id)

describe('uploads', () => {
  let owner: TestUser
  let org: TestOrg
  let appId: string
  beforeAll(async () => {
    ;({ owner, org } = await ownerWithOrg(t))
    appId = (await as(t, owner).post(`/v1/organizations/${org.id}/apps`, { name: 'Uploads' })).body.data.id
  })

  const buildsOf = () => buildIds(appId)

  it('retried stores one build and one object; another file with the key is refused', async () => {
    const url = `/v1/organizations/${org.id}/apps/${appId}/builds`
    const file = randomFile(300_000)
    const parts: FormPart[] = [
      ['versionName', '1.0'],
      ['file', file, 'app.apk'],
    ]
    const key = newKey()
    const before = await buildsOf()
    const first = await upload(url, `Bearer ${owner.token}`, key, parts)
    // Each retry is a new multipart body (another boundary): the fingerprint is of its parts, not its bytes.
    const again = await upload(url, `Bearer ${owner.token}`, key, parts)
    expect(first.status, first.text).toBe(200)
    expect(again).toEqual({ ...first, replayed: true })
    const added = (await buildsOf()).filter((id) => !before.includes(id))
    expect(added).toHaveLength(1)
    expect(JSON.parse(first.text).data.sha256).toBe(sha256(file))
    const objects = await objectsUnder(t.storage, `${org.id}/${appId}/`)
    expect([...objects.keys()].filter((k) => !before.some((id) => k.endsWith(id)))).toEqual([
      `${org.id}/${appId}/${added[0]}`,
    ])

    const otherFile = await upload(url, `Bearer ${owner.token}`, key, [
      ['versionName', '1.0'],
      ['file', randomFile(300_000), 'app.apk'],
    ])
    const otherField = await upload(url, `Bearer ${owner.token}`, key, [
      ['versionName', '1.1'],
      ['file', file, 'app.apk'],
    ])
    expect([otherFile.status, otherField.status]).toEqual([422, 422])
    expect(JSON.parse(otherFile.text).error.code).toBe(3005)
    expect((await buildsOf()).filter((id) => !before.includes(id))).toHaveLength(1)
    expect((await objectsUnder(t.storage, `${org.id}/${appId}/`)).size).toBe(objects.size)
  })

  it('from CI with an app token, retried, stores one build', async () => {
    const token = (
      await as(t, owner).post(`/v1/organizations/${org.id}/apps/${appId}/tokens`, { name: 'ci' })
    ).body.data.token
    const parts: FormPart[] = [
      ['versionName', '2.0'],
      ['deployer.name', 'bitrise'],
      ['build', randomFile(100_000), 'app.aab'],
    ]
    const key = newKey()
    const before = await buildsOf()
    const first = await upload('/v1/integrations/builds', `bearer ${token}`, key, parts)
    const again = await upload('/v1/integrations/builds', `bearer ${token}`, key, parts)
    expect(first.status, first.text).toBe(200)
    expect(again).toEqual({ ...first, replayed: true })
    expect((await buildsOf()).filter((id) => !before.includes(id))).toHaveLength(1)
    // The app token's key is its own: the member who created it may use the same key for something else.
    const member = await send(owner, 'POST', `/v1/organizations/${org.id}/apps`, key, { name: 'Not a build' })
    expect(member.status).toBe(200)
  })

  it('repeated while the first is still streaming answers 5002, and stores nothing of the repeat', async () => {
    const url = `/v1/organizations/${org.id}/apps/${appId}/builds`
    const key = newKey()
    const file = randomFile(200_000)
    const { body, contentType } = await multipart([['file', file, 'slow.apk']])
    const stream = new PassThrough()
    const headers = {
      authorization: `Bearer ${owner.token}`,
      'content-type': contentType,
      'idempotency-key': key,
    }
    const slow = t.app.inject({ method: 'POST', url, headers, payload: stream })
    stream.write(body.subarray(0, 1000))
    // The first request has claimed its key once its row is there.
    while ((await keyRows(key)).length === 0) await nextTurn()
    const repeat = await upload(url, `Bearer ${owner.token}`, key, [['file', file, 'slow.apk']])
    expect(repeat.status).toBe(409)
    expect(JSON.parse(repeat.text).error.code).toBe(5002)
    stream.end(body.subarray(1000))
    const first = await slow
    expect(first.statusCode, first.body).toBe(200)
    const replay = await upload(url, `Bearer ${owner.token}`, key, [['file', file, 'slow.apk']])
    expect(replay).toEqual({ status: 200, text: first.body, replayed: true })
    const id = JSON.parse(first.body).data.id
    expect((await buildsOf()).filter((b) => b === id)).toHaveLength(1)
  })
})

describe('an organization', () => {
  it('deleted twice with one key gets the same deletionId, also after its purge', async () => {
    const { owner, org } = await ownerWithOrg(t)
    const key = newKey()
    const url = `/v1/organizations/${org.slug}`
    const first = await send(owner, 'DELETE', url, key)
    expect(first.status, first.text).toBe(200)
    expect(first.body.data.deletionId).toMatch(/^[a-f0-9]{24}$/)
    const again = await send(owner, 'DELETE', url, key)
    expect(again).toEqual({ ...first, replayed: true })
    await purgeNow(t.db)
    expect(await rowsOf(t.db, org.id)).toMatchObject({ organizations: 0, idempotency_keys: 0 })
    const afterPurge = await send(owner, 'DELETE', url, key)
    expect(afterPurge).toEqual({ ...first, replayed: true })
    const receipts = await t.db
      .selectFrom('deletions')
      .select('id')
      .where('organization_id', '=', org.id)
      .execute()
    expect(receipts).toEqual([{ id: first.body.data.deletionId }])
  })

  it("keeps its answers as its own rows: counted in the preview and purged with it, others' kept", async () => {
    const { owner, org } = await ownerWithOrg(t)
    const other = await ownerWithOrg(t)
    const keys = [newKey(), newKey()]
    for (const key of keys) await send(owner, 'POST', `/v1/organizations/${org.id}/apps`, key, { name: key })
    const kept = await send(other.owner, 'POST', `/v1/organizations/${other.org.id}/devices`, keys[0], {
      platform: 'android',
      serialNumber: 'SN-1',
    })
    expect(kept.status, kept.text).toBe(200)
    const preview = await as(t, owner).get(`/v1/organizations/${org.id}/deletion-preview`)
    expect(preview.body.data.counts).toMatchObject({ idempotencyKeys: 2, apps: 2 })
    expect((await rowsOf(t.db, org.id)).idempotency_keys).toBe(2)
    expect((await send(owner, 'DELETE', `/v1/organizations/${org.id}`, undefined)).status).toBe(200)
    await purgeNow(t.db)
    expect((await rowsOf(t.db, org.id)).idempotency_keys).toBe(0)
    const receipt = await as(t, owner).get(`/v1/deletions?limit=1`)
    expect(receipt.body.data.items[0].counts).toMatchObject({ idempotencyKeys: 2 })
    expect((await rowsOf(t.db, other.org.id)).idempotency_keys).toBe(1)
    // The new organization's answer is the new organization's.
    const created = await send(owner, 'POST', '/v1/organizations', newKey(), { name: 'Created with a key' })
    expect((await rowsOf(t.db, created.body.data.id)).idempotency_keys).toBe(1)
  })
})

describe('a keyed write racing the deletion of its organization', () => {
  it('leaves no answer of it after the purge, whichever commits first (25 trials)', async () => {
    const orders = new Set<string>()
    for (let trial = 0; trial < 25; trial++) {
      const { owner, org } = await ownerWithOrg(t)
      const key = newKey()
      const [write, deletion] = await Promise.all([
        (async () => {
          for (let turn = 0; turn < trial % 4; turn++) await nextTurn()
          return send(owner, 'POST', `/v1/organizations/${org.id}/apps`, key, { name: 'Racing' })
        })(),
        (async () => {
          for (let turn = 0; turn < 3 - (trial % 4); turn++) await nextTurn()
          return send(owner, 'DELETE', `/v1/organizations/${org.id}`, undefined)
        })(),
      ])
      expect(deletion.status).toBe(200)
      // Which committed first: the write (it answered 200, and the receipt counts its app) or the deletion (3001).
      expect([200, 404]).toContain(write.status)
      orders.add(write.status === 200 ? 'write first' : 'deletion first')
      const kept = await keyRows(key)
      // A refused write's answer (3001) names no live organization, so it is not kept under it.
      if (write.status === 404) expect(kept.filter((r) => r.organization_id !== null)).toEqual([])
      await purgeNow(t.db)
      expect(await rowsOf(t.db, org.id)).toMatchObject({ idempotency_keys: 0, apps: 0, organizations: 0 })
    }
    expect([...orders].sort()).toEqual(['deletion first', 'write first'])
  })
})

describe('expiry', () => {
  it('after IDEMPOTENCY_TTL_SECONDS the key runs again, and the background step removes the old answer', async () => {
    const { owner, org } = await ownerWithOrg(t)
    const key = newKey()
    const url = `/v1/organizations/${org.id}/apps`
    expect((await send(owner, 'POST', url, key, { name: 'Daily' })).status).toBe(200)
    clock.advance(DAY_MS - 1000)
    expect((await send(owner, 'POST', url, key, { name: 'Daily' })).replayed).toBe(true)
    await purgeNow(t.db, { clock: () => clock.now() })
    expect(await keyRows(key)).toHaveLength(1)
    clock.advance(1000)
    await purgeNow(t.db, { clock: () => clock.now() })
    expect(await keyRows(key)).toHaveLength(0)
    const later = await send(owner, 'POST', url, key, { name: 'Daily' })
    expect(later.status).toBe(200)
    expect(later.replayed).toBe(false)
    expect(await appsNamed(org, 'Daily')).toBe(2)
    // Expired but not yet removed: a claim replaces it.
    clock.advance(DAY_MS)
    expect((await send(owner, 'POST', url, key, { name: 'Daily' })).replayed).toBe(false)
    expect(await appsNamed(org, 'Daily')).toBe(3)
  })
})

describe.runIf(dialect === 'postgres')('two servers sharing PostgreSQL', () => {
  it('see one claim: a repeat on the other server is replayed, never run twice', async () => {
    const database = openDatabase(t.url)
    const second = await buildApp({ config: t.config, database, storage: t.storage })
    try {
      const { owner, org } = await ownerWithOrg(t)
      const key = newKey()
      const url = `/v1/organizations/${org.id}/apps`
      const headers = { authorization: `Bearer ${owner.token}`, 'idempotency-key': key }
      const replies = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 === 0 ? t.app : second).inject({
            method: 'POST',
            url,
            headers,
            payload: { name: 'Shared' },
          }),
        ),
      )
      expect(await appsNamed(org, 'Shared')).toBe(1)
      expect(replies.filter((r) => r.statusCode === 200 && !r.headers['idempotent-replayed'])).toHaveLength(1)
      for (const reply of replies) expect([200, 409]).toContain(reply.statusCode)
    } finally {
      await second.close()
      await database.close()
    }
  })
})

describe('answers holding a secret', () => {
  it('are not kept: a token is never stored in plain text', async () => {
    const user = await createUser(t)
    const key = newKey()
    const first = await send(user, 'POST', '/v1/users/me/tokens', key, { name: 'cli' })
    expect(first.status).toBe(200)
    expect(await keyRows(key)).toEqual([])
  })
})
