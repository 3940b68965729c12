import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from './support/app.js'
import { editRecords, manifestOf, sha256, tarGz, withEntry, type Entry } from './support/archives.js'
import { expectRefused, exportedWorkspace, limits } from './support/imports.js'
import { createUser, type TestUser } from './support/factories.js'
import { runNode } from './support/processes.js'
import { everything } from './support/workspace.js'
import { importArchive } from '../src/exports/import.js'

// docs/api.md §10: a damaged or tampered archive is refused with nothing written (the tampering is done with tar-stream
// and zlib directly). What spans records (uniqueness, builds against their bytes) is import-rules.test.ts's.

let t: TestApp
let owner: TestUser
let folder: string
let env: Record<string, string>
beforeAll(async () => {
  t = await buildTestApp()
  owner = await createUser(t, 'owner')
  folder = mkdtempSync(join(tmpdir(), 'orgspace-archives-'))
  env = { DATABASE_URL: t.url, STORAGE_URL: t.config.STORAGE_URL, LOG_LEVEL: 'silent' }
})
afterAll(async () => {
  await t?.close()
  rmSync(folder, { recursive: true, force: true })
})

const cli = (...args: string[]) => runNode('src/cli.ts', args, env)

describe('a damaged or tampered archive is refused, with nothing written', () => {
  let good: Buffer
  let entries: Entry[]
  beforeAll(async () => {
    ;({ archive: good, entries } = await exportedWorkspace(t, owner))
  })

  const withManifest = (list: Entry[], manifest: unknown): Entry[] => [
    { name: 'manifest.json', bytes: Buffer.from(JSON.stringify(manifest)) },
    ...list.slice(1),
  ]
  const refused = (bytes: Buffer, reason: RegExp) => expectRefused(t, owner, bytes, reason)

  it('the untouched archive is accepted (the cases below differ from it by one change)', async () => {
    const path = join(folder, 'good-again.tar.gz')
    writeFileSync(path, await tarGz(entries))
    const { organizationId } = await importArchive(t.db, t.storage, path, {
      limits,
      owner: owner.email,
      slug: 'accepted-copy',
    })
    expect(organizationId).toMatch(/^[a-f0-9]{24}$/)
  })

  it('one flipped byte', async () => {
    for (const at of [Math.floor(good.length / 3), Math.floor(good.length / 2), good.length - 5]) {
      const flipped = Buffer.from(good)
      flipped[at] = (flipped[at] ?? 0) ^ 0x01
      await refused(flipped, /damaged|does not match|not JSON|not a valid|not an orgspace/)
    }
  })

  it('a truncated archive', async () => {
    await refused(good.subarray(0, Math.floor(good.length * 0.6)), /damaged or truncated|missing/)
  })

  it('a changed record whose checksum was not updated', async () => {
    const changed = entries.map((e) =>
      e.name === 'devices.ndjson'
        ? { ...e, bytes: Buffer.from(e.bytes.toString().replace('SN-A', 'SN-Z')) }
        : e,
    )
    await refused(await tarGz(changed), /devices.ndjson does not match its size and SHA-256/)
  })

  it('the last entry changed, found only after every record was read: nothing written, not even new accounts', async () => {
    // Collaborators new to this instance, so that writing any record would leave users behind; then the archive's
    // last entry (a build's bytes, after every NDJSON file) no longer matches its SHA-256.
    const stamp = Date.now()
    const fresh = withEntry(
      entries,
      'collaborators.ndjson',
      editRecords(entries, 'collaborators.ndjson', (people) =>
        people.map((person, i) => ({ ...person, email: `late-${stamp}-${i}@example.test` })),
      ),
    )
    const last = fresh[fresh.length - 1]
    expect(last?.name).toMatch(/^builds\//)
    const tampered = fresh.map((entry) => {
      if (entry !== last) return entry
      const bytes = Buffer.from(entry.bytes)
      bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0x01
      return { ...entry, bytes }
    })
    await refused(await tarGz(tampered), /builds\/[a-f0-9/]+ does not match its size and SHA-256/)
    const late = await t.db
      .selectFrom('users')
      .select('email')
      .where('email', 'like', `late-${stamp}-%`)
      .execute()
    expect(late).toEqual([])
  })

  it('a manifest with wrong counts', async () => {
    const manifest = manifestOf(entries)
    manifest.counts.devices += 1
    await refused(await tarGz(withManifest(entries, manifest)), /count of devices/)
    // Counts and the file's own record count both raised, checksums right: the file holds fewer lines.
    const both = manifestOf(entries)
    both.counts.devices += 1
    both.files.find((f: { name: string }) => f.name === 'devices.ndjson').records += 1
    await refused(
      await tarGz(withManifest(entries, both)),
      /devices.ndjson holds 3 records, the manifest says 4/,
    )
  })

  it('path traversal and other names orgspace never writes', async () => {
    for (const name of ['../x', '/etc/passwd', 'builds/../../x', 'devices.ndjson/../../x']) {
      const payload = Buffer.from('x')
      const manifest = manifestOf(entries)
      manifest.files.push({ name, size: 1, sha256: sha256(payload) })
      await refused(
        await tarGz([...withManifest(entries, manifest), { name, bytes: payload }]),
        /does not write/,
      )
    }
    // Not listed in the manifest at all.
    await refused(await tarGz([...entries, { name: '../x', bytes: Buffer.from('x') }]), /does not write/)
  })

  it('the CLI says why in one line and exits 1', async () => {
    const path = join(folder, 'cli-bad.tar.gz')
    writeFileSync(path, good.subarray(0, 100))
    const before = await everything(t)
    const run = await cli('import', path, '--owner', `cli-${Date.now()}@example.test`)
    expect(run.code).toBe(1)
    expect(run.stdout).toBe('')
    expect(run.stderr.trim().split('\n')).toHaveLength(1)
    expect(run.stderr).toMatch(/import refused: the archive is damaged or truncated/)
    expect(await everything(t)).toEqual(before)
  })

  it('two devices with one serial number: refused before anything is written', async () => {
    const bytes = editRecords(entries, 'devices.ndjson', (devices) => [
      ...devices,
      { ...devices[0], id: 'f'.repeat(24) },
    ])
    await refused(
      await tarGz(withEntry(entries, 'devices.ndjson', bytes)),
      /two devices records have the serial number "SN-A"/,
    )
  })
})
