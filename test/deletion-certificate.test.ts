import { randomBytes } from 'node:crypto'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from './support/app.js'
import { catalogTenantTables, rfc7638, verifyIndependently, type Jwk } from './support/certificates.js'
import { testDeliveryWorker } from './support/events.js'
import { addMember, as, createOrg, createUser, type TestOrg, type TestUser } from './support/factories.js'
import { runNode } from './support/processes.js'
import { purgeNow, rowsOf } from './support/purge.js'
import { startReceiver, type Receiver } from './support/receiver.js'
import { postForm, randomFile } from './support/uploads.js'

// docs/api.md §11: the certificate of a completed deletion, checked from outside — over HTTP, with the CLI as a child
// process, and with a verifier written here from node:crypto and the JWKS.

let t: TestApp
let instance: Receiver
const instanceSecret = `whsec_${randomBytes(32).toString('base64')}`
beforeAll(async () => {
  t = await buildTestApp({ PUBLIC_URL: 'https://orgspace.example.test', WEBHOOK_ALLOW_PRIVATE: 'true' })
  instance = await startReceiver()
})
afterAll(async () => {
  await instance.close()
  await t.close()
})

const cli = (...args: string[]) =>
  runNode('src/cli.ts', args, {
    DATABASE_URL: t.url,
    STORAGE_URL: t.config.STORAGE_URL,
    LEDGER_URL: t.config.LEDGER_URL,
    SIGNING_KEY_FILE: t.config.SIGNING_KEY_FILE,
    LOG_LEVEL: 'silent',
  })

async function jwks(): Promise<{ keys: Jwk[] }> {
  const response = await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })
  expect(response.statusCode).toBe(200)
  return JSON.parse(response.body) as { keys: Jwk[] }
}

async function populatedOrg(owner: TestUser): Promise<TestOrg> {
  const org = await createOrg(t, owner)
  const api = as(t, owner)
  await addMember(t, owner, org, 'editor')
  const app = await api.post(`/v1/organizations/${org.id}/apps`, { name: 'Field app' })
  for (let i = 0; i < 4; i++) {
    const device = await api.post(`/v1/organizations/${org.id}/devices`, {
      platform: 'android',
      serialNumber: `CERT-${i}`,
    })
    expect(device.status, JSON.stringify(device.body)).toBe(200)
  }
  const upload = await postForm(
    t,
    `/v1/organizations/${org.id}/apps/${app.body.data.id}/builds`,
    `Bearer ${owner.token}`,
    [['file', randomFile(2048), 'app.apk']],
  )
  expect(upload.status).toBe(200)
  return org
}

async function deleteAndPurge(owner: TestUser, org: TestOrg): Promise<string> {
  const deleted = await as(t, owner).delete(`/v1/organizations/${org.id}`)
  expect(deleted.status).toBe(200)
  await purgeNow(t.db)
  return deleted.body.data.deletionId as string
}

let tmp: string
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'orgspace-cert-'))
})

describe('the certificate of a deletion', () => {
  it('answers 409/5001 not_completed before the purge completes, then a certificate that verifies independently', async () => {
    const owner = await createUser(t, 'owner')
    const org = await populatedOrg(owner)
    const deleted = await as(t, owner).delete(`/v1/organizations/${org.id}`)
    const { deletionId } = deleted.body.data
    const early = await as(t, owner).get(`/v1/deletions/${deletionId}/certificate`)
    expect(early.status).toBe(409)
    expect(early.body).toEqual({
      status: false,
      error: { code: 5001, message: 'Conflict', data: { reason: 'not_completed' } },
    })

    await purgeNow(t.db)
    const reply = await as(t, owner).get(`/v1/deletions/${deletionId}/certificate`)
    expect(reply.status).toBe(200)
    const { certificate, claims } = reply.body.data
    const keys = await jwks()
    for (const key of keys.keys) {
      expect(key).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' })
      expect(key.kid).toBe(rfc7638(key))
    }
    const { header, claims: verified } = verifyIndependently(certificate, keys)
    expect(header).toEqual({ alg: 'EdDSA', kid: keys.keys[0]?.kid, typ: 'JWT' })
    expect(verified).toEqual(claims)
    const receipt = (await as(t, owner).get(`/v1/deletions/${deletionId}`)).body.data
    expect(verified).toMatchObject({
      iss: 'https://orgspace.example.test',
      sub: org.id,
      jti: deletionId,
      organization: { id: org.id, slug: org.slug },
      requestedBy: owner.id,
      requestedAt: receipt.requestedAt,
      completedAt: receipt.completedAt,
      graceSeconds: 0,
      removed: receipt.counts,
      erasure: {
        database: t.config.DATABASE_URL.startsWith('sqlite:') ? 'sqlite-secure-delete' : 'postgresql-vacuum',
        // The organization's data key was destroyed before its objects were removed (docs/storage.md).
        storage: 'crypto-erased',
      },
      software: { name: 'orgspace', version: expect.any(String) },
      verification: { storage: { prefix: `${org.id}/`, objects: 0 } },
    })
    expect(receipt.counts).toMatchObject({ apps: 1, devices: 4, builds: 1, bytes: 2048 })
    expect(Date.parse(verified.purgeStartedAt)).toBeGreaterThanOrEqual(Date.parse(verified.requestedAt))
    expect(Math.abs(verified.iat * 1000 - Date.now())).toBeLessThan(60_000)
    // Every table with an organization_id column but the receipts, each re-counted: 0.
    const expected = (await catalogTenantTables(t.db)).filter((table) => table !== 'deletions')
    expect(Object.keys(verified.verification.tables).sort()).toEqual(expected)
    expect(Object.values(verified.verification.tables).every((n) => n === 0)).toBe(true)
    // No names or emails: user ids only.
    const text = Buffer.from(certificate.split('.')[1], 'base64url').toString()
    expect(text).not.toContain('@')
    expect(text).not.toContain(org.name)
    // The ledger holds its tombstone (ids only) and the certificate.
    const ledger = t.config.LEDGER_URL.slice('file:'.length)
    const tombstone = readdirSync(join(ledger, 'tombstones')).find((f) => f.includes(deletionId))
    expect(tombstone).toBeDefined()
    expect(verified.ledger).toBe(`file:${ledger}/tombstones/${tombstone}`)
    expect(JSON.parse(await readFile(join(ledger, 'tombstones', tombstone ?? ''), 'utf8'))).toEqual({
      deletionId,
      organizationId: org.id,
      requestedBy: owner.id,
      requestedAt: receipt.requestedAt,
    })
    expect((await readFile(join(ledger, 'certificates', `${deletionId}.jwt`), 'utf8')).trim()).toBe(
      certificate,
    )
    expect(Object.values(await rowsOf(t.db, org.id)).reduce((a, b) => a + b, 0)).toBe(1) // the receipt
  })

  it('is readable only by whoever may read the receipt (3001 otherwise)', async () => {
    const owner = await createUser(t, 'owner')
    const org = await createOrg(t, owner)
    const deletionId = await deleteAndPurge(owner, org)
    const stranger = await createUser(t, 'stranger')
    const reply = await as(t, stranger).get(`/v1/deletions/${deletionId}/certificate`)
    expect(reply.status).toBe(404)
    expect(reply.body.error.code).toBe(3001)
    expect((await as(t, owner).get(`/v1/deletions/${'0'.repeat(24)}/certificate`)).body.error.code).toBe(3001)
    expect((await as(t, owner).get('/v1/deletions/nope/certificate')).body.error.code).toBe(3000)
    expect((await as(t, null).get(`/v1/deletions/${deletionId}/certificate`)).body.error.code).toBe(4002)
  })

  it('is issued on request, with its verification run then, for a deletion completed before certificates', async () => {
    const owner = await createUser(t, 'owner')
    const org = await createOrg(t, owner)
    const deletionId = await deleteAndPurge(owner, org)
    // As a receipt written by an earlier version: completed, no certificate.
    await t.db
      .updateTable('deletions')
      .set({ certificate: null, certificate_ledgered_at: null })
      .where('id', '=', deletionId)
      .execute()
    const before = Date.now()
    const reply = await as(t, owner).get(`/v1/deletions/${deletionId}/certificate`)
    expect(reply.status).toBe(200)
    const { claims } = verifyIndependently(reply.body.data.certificate, await jwks())
    expect(Date.parse(claims.verification.checkedAt)).toBeGreaterThanOrEqual(before - 1000)
    expect(claims.jti).toBe(deletionId)
    const again = await as(t, owner).get(`/v1/deletions/${deletionId}/certificate`)
    expect(again.body.data.certificate).toBe(reply.body.data.certificate)
  })

  it('travels with organization.deletion.completed to the instance endpoint', async () => {
    const w = testDeliveryWorker(t, { WEBHOOK_URL: instance.url, WEBHOOK_SECRET: instanceSecret })
    try {
      const owner = await createUser(t, 'owner')
      const org = await createOrg(t, owner)
      const deletionId = await deleteAndPurge(owner, org)
      await w.drain()
      const completed = instance
        .verified(instanceSecret)
        .find(
          (r) => r.event.type === 'organization.deletion.completed' && r.event.data.deletionId === deletionId,
        )
      const certificate = (await as(t, owner).get(`/v1/deletions/${deletionId}/certificate`)).body.data
        .certificate
      expect(completed?.event.data.certificate).toBe(certificate)
      expect(verifyIndependently(certificate, await jwks()).claims.sub).toBe(org.id)
    } finally {
      await w.close()
    }
  })
})

describe('orgspace certificate and keys', () => {
  it('verifies offline with a saved JWKS, refuses tampering, a wrong kid and truncation, and survives a rotation', async () => {
    const owner = await createUser(t, 'owner')
    const org = await createOrg(t, owner)
    const deletionId = await deleteAndPurge(owner, org)
    const file = join(tmp, 'certificate.jwt')
    const got = await cli('certificate', 'get', deletionId, '--out', file)
    expect(got.code, got.stderr).toBe(0)
    const token = (await readFile(file, 'utf8')).trim()
    expect(token).toBe(
      (await as(t, owner).get(`/v1/deletions/${deletionId}/certificate`)).body.data.certificate,
    )
    const jwksFile = join(tmp, 'jwks.json')
    await writeFile(jwksFile, JSON.stringify(await jwks()))

    const valid = await cli('certificate', 'verify', file, '--jwks', jwksFile)
    expect(valid.code, valid.stderr).toBe(0)
    expect(valid.stdout).toContain('valid')
    expect(valid.stdout).toContain(org.id)

    const [header = '', payload = '', signature = ''] = token.split('.')
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString())
    const tampered = Buffer.from(JSON.stringify({ ...claims, sub: '0'.repeat(24) })).toString('base64url')
    const otherKid = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: 'not-a-key', typ: 'JWT' })).toString(
      'base64url',
    )
    const cases: [string, string, RegExp][] = [
      ['tampered', `${header}.${tampered}.${signature}`, /bad signature/],
      ['wrong kid', `${otherKid}.${payload}.${signature}`, /unknown kid/],
      [
        'truncated',
        token
          .slice(0, token.length - 20)
          .split('.')
          .slice(0, 2)
          .join('.'),
        /malformed/,
      ],
    ]
    for (const [name, bad, reason] of cases) {
      const badFile = join(tmp, `${name}.jwt`)
      await writeFile(badFile, bad)
      const run = await cli('certificate', 'verify', badFile, '--jwks', jwksFile)
      expect(run.code, name).toBe(1)
      expect(run.stderr, name).toMatch(reason)
    }

    // A rotation: the new key signs, the old one stays published, so the old certificate still verifies.
    const rotated = await cli('keys', 'rotate')
    expect(rotated.code, rotated.stderr).toBe(0)
    const newKid = rotated.stdout.trim()
    const after = await jwks()
    expect(after.keys.map((k) => k.kid)).toEqual([
      newKid,
      header && JSON.parse(Buffer.from(header, 'base64url').toString()).kid,
    ])
    expect(verifyIndependently(token, after).claims.jti).toBe(deletionId)
    const next = await deleteAndPurge(owner, await createOrg(t, owner))
    const signedAfter = (await as(t, owner).get(`/v1/deletions/${next}/certificate`)).body.data.certificate
    expect(verifyIndependently(signedAfter, after).header.kid).toBe(newKid)
    await writeFile(jwksFile, JSON.stringify(after))
    expect((await cli('certificate', 'verify', file, '--jwks', jwksFile)).code).toBe(0)
    // The key file stays readable by its owner only.
    expect(statSync(t.config.SIGNING_KEY_FILE).mode & 0o077).toBe(0)
  })

  it('certificate get refuses a deletion that has not completed (exit 1)', async () => {
    const owner = await createUser(t, 'owner')
    const org = await createOrg(t, owner)
    const { deletionId } = (await as(t, owner).delete(`/v1/organizations/${org.id}`)).body.data
    const run = await cli('certificate', 'get', deletionId)
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/has not completed/)
    expect(existsSync(join(tmp, 'none'))).toBe(false)
    await purgeNow(t.db)
  })
})
