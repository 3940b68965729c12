import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { buildTestApp, type TestApp } from './support/app.js'
import { BACKENDS, unavailable, useBackends, type Backend } from './support/backends.js'
import { deploymentEnv, orgspace } from './support/orgspace-cli.js'
import { runNode } from './support/processes.js'
import { allDownload, PLAINTEXT_MARKER, SEALED_MAGIC, workspaceWithBuilds } from './support/sealed.js'
import { objectsUnder, readObject } from './support/uploads.js'

// The master key as an operator meets it (docs/api.md §13): created at first start, a malformed one stopping the start
// in one line, `keys rotate-master` re-wrapping every data key and destroying the old master key (resumably), and
// `storage encrypt` turning a store written before encryption into an encrypted one, once.

const backends = useBackends()
// Several commands run as child processes per test: seconds each on a busy machine.
vi.setConfig({ testTimeout: 120_000 })
/** Puts these wrapped keys back, as restoring a database backup would. */
async function restoreKeys(
  t: TestApp,
  rows: { organization_id: string; wrapped_key: string; master_key_id: string }[],
) {
  for (const row of rows)
    await t.db
      .updateTable('organization_data_keys')
      .set({ wrapped_key: row.wrapped_key, master_key_id: row.master_key_id })
      .where('organization_id', '=', row.organization_id)
      .execute()
}

const keyFolder = () => mkdtempSync(join(tmpdir(), 'orgspace-keys-'))

describe('the master key', () => {
  const apps: TestApp[] = []
  afterAll(async () => {
    for (const app of apps) await app.close()
  })

  it('is created at first start (32 bytes, mode 0600); a malformed one stops the start in one line', async () => {
    const t = await buildTestApp()
    apps.push(t)
    const file = join(keyFolder(), 'keys', 'master.key')
    const created = await orgspace(t, ['storage', 'check'], { MASTER_KEY: '', MASTER_KEY_FILE: file })
    expect(created.code, created.stderr).toBe(0)
    expect(readFileSync(file).length).toBe(32)
    expect(statSync(file).mode & 0o777).toBe(0o600)

    const env = { ...deploymentEnv(t), PORT: '0' }
    const short = join(keyFolder(), 'short.key')
    writeFileSync(short, randomBytes(5))
    const badFile = await runNode('src/server.ts', [], { ...env, MASTER_KEY: '', MASTER_KEY_FILE: short })
    expect(badFile.code).toBe(1)
    expect(badFile.stderr).toBe(
      `orgspace: ${short} is not a master key: it holds 5 bytes, not 32 (set MASTER_KEY_FILE)\n`,
    )
    const secretish = randomBytes(31).toString('base64')
    const badValue = await runNode('src/server.ts', [], { ...env, MASTER_KEY: secretish })
    expect(badValue.code).toBe(1)
    expect(badValue.stderr).toBe(
      'orgspace: MASTER_KEY is not a master key: it must be 32 random bytes in base64 (openssl rand -base64 32) (set MASTER_KEY)\n',
    )
    expect(badValue.stderr).not.toContain(secretish)
  })

  it('rotate-master re-wraps every data key and destroys the old master key; an interrupted rotation resumes', async () => {
    const file = join(keyFolder(), 'master.key')
    const t = await buildTestApp({ MASTER_KEY: '', MASTER_KEY_FILE: file })
    apps.push(t)
    const uploads = [
      await workspaceWithBuilds(t, 2),
      await workspaceWithBuilds(t, 1),
      await workspaceWithBuilds(t, 1),
    ]
    const oldKey = readFileSync(file)
    // A database backup taken before the rotation: the wrapped data keys as they are now.
    const backup = await t.db
      .selectFrom('organization_data_keys')
      .selectAll()
      .orderBy('organization_id')
      .execute()
    expect(backup.length).toBeGreaterThanOrEqual(3)
    expect(new Set(backup.map((row) => row.master_key_id)).size).toBe(1)

    // An earlier rotation died after writing its new key, before re-wrapping anything: this run takes that key on.
    const pending = randomBytes(32)
    writeFileSync(`${file}.next`, pending, { mode: 0o600 })
    const rotated = await orgspace(t, ['keys', 'rotate-master'], { MASTER_KEY_FILE: file, MASTER_KEY: '' })
    expect(rotated.code, rotated.stderr).toBe(0)
    expect(rotated.stderr).toMatch(new RegExp(`${backup.length} data keys re-wrapped under master key`))
    expect(readFileSync(file).equals(pending)).toBe(true)
    expect(existsSync(`${file}.next`)).toBe(false)
    const after = await t.db
      .selectFrom('organization_data_keys')
      .selectAll()
      .orderBy('organization_id')
      .execute()
    expect(after.map((row) => row.organization_id)).toEqual(backup.map((row) => row.organization_id))
    expect(new Set(after.map((row) => row.master_key_id)).size).toBe(1)
    expect(after[0]?.master_key_id).not.toBe(backup[0]?.master_key_id)
    expect(after.every((row, i) => row.wrapped_key !== backup[i]?.wrapped_key)).toBe(true)
    // Every build still downloads, from the server that was running during the rotation.
    expect(await allDownload(t, uploads)).toBe(true)

    // The backup restored: its wrapped keys need the old master key, which is gone, so nothing decrypts.
    await restoreKeys(t, backup)
    const [someBuild] = uploads[0]?.builds ?? []
    const refused = await t.app.inject({
      url: someBuild?.url ?? '',
      headers: { authorization: `Bearer ${uploads[0]?.owner.token}` },
    })
    expect(refused.statusCode).toBe(500)
    expect(readFileSync(file).equals(oldKey)).toBe(false)
    await restoreKeys(t, after)

    // A second rotation, with nothing pending, makes a key of its own.
    const again = await orgspace(t, ['keys', 'rotate-master'], { MASTER_KEY_FILE: file, MASTER_KEY: '' })
    expect(again.code, again.stderr).toBe(0)
    expect(readFileSync(file).equals(pending)).toBe(false)
    expect(await allDownload(t, uploads)).toBe(true)

    const refusedEnv = await orgspace(t, ['keys', 'rotate-master'], {
      MASTER_KEY: randomBytes(32).toString('base64'),
    })
    expect(refusedEnv.code).toBe(1)
    expect(refusedEnv.stderr).toMatch(/^orgspace: rotation refused: MASTER_KEY is set/)
  })
})

describe.each(BACKENDS)('storage encrypt on %s storage', (backend: Backend) => {
  it.skipIf(unavailable(backend))(
    'encrypts a store written before encryption; a second run changes nothing',
    async () => {
      const t = await backends.app(backend)
      const uploads = [await workspaceWithBuilds(t, 2), await workspaceWithBuilds(t, 1)]
      // As the previous version wrote them: the bytes themselves.
      for (const { builds } of uploads)
        for (const build of builds)
          await t.storage.put(build.key, Readable.from([build.file]), 'application/octet-stream')
      expect(await allDownload(t, uploads)).toBe(true)
      const before = await orgspace(t, ['storage', 'check'])
      expect(before.stderr).toMatch(/, 3 in plaintext \(run orgspace storage encrypt\)\n$/)

      const first = await orgspace(t, ['storage', 'encrypt'])
      expect(first.code, first.stderr).toBe(0)
      expect(first.stderr).toMatch(/: 3 encrypted, 0 already encrypted, 0 left \(no live organization\)\n$/)
      const stored = await snapshot(t)
      expect(stored.size).toBe(3)
      for (const bytes of stored.values()) {
        expect(bytes.subarray(0, SEALED_MAGIC.length).equals(SEALED_MAGIC)).toBe(true)
        expect(bytes.includes(PLAINTEXT_MARKER)).toBe(false)
      }
      expect(await allDownload(t, uploads)).toBe(true)
      expect((await orgspace(t, ['storage', 'check'])).stderr).toMatch(/, 0 in plaintext\n$/)

      const second = await orgspace(t, ['storage', 'encrypt'])
      expect(second.code, second.stderr).toBe(0)
      expect(second.stderr).toMatch(/: 0 encrypted, 3 already encrypted, 0 left/)
      const digests = (objects: Map<string, Buffer>) =>
        new Map([...objects].map(([key, bytes]) => [key, createHash('sha256').update(bytes).digest('hex')]))
      expect(digests(await snapshot(t))).toEqual(digests(stored))
    },
  )
})

/** Every object in storage, as stored. */
async function snapshot(t: TestApp): Promise<Map<string, Buffer>> {
  const objects = new Map<string, Buffer>()
  for (const key of (await objectsUnder(t.storage, '')).keys())
    objects.set(key, (await readObject(t.storage, key)) ?? Buffer.alloc(0))
  return objects
}
