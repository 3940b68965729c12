import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from './support/app.js'
import { editRecords, tarGz, withEntry, type Entry } from './support/archives.js'
import { createUser, type TestUser } from './support/factories.js'
import { archiveFile, expectRefused, exportedWorkspace } from './support/imports.js'
import { runNode } from './support/processes.js'
import { everything } from './support/workspace.js'
import { importArchive } from '../src/exports/import.js'
import { reportStartupError } from '../src/startup-error.js'

// Issue 21, items 1, 2, 4, 7 and 8: what spans records is checked across the whole archive before anything is
// written, and the CLI says what in the archive is wrong. Each archive is a real export edited here with a manifest
// that tells the truth about the edit, so only the rule under test is broken.

let t: TestApp
let owner: TestUser
let entries: Entry[]
let env: Record<string, string>
beforeAll(async () => {
  t = await buildTestApp()
  owner = await createUser(t, 'owner')
  env = { DATABASE_URL: t.url, STORAGE_URL: t.config.STORAGE_URL, LOG_LEVEL: 'silent' }
  ;({ entries } = await exportedWorkspace(t, owner))
})
afterAll(async () => {
  await t?.close()
})

const cli = (...args: string[]) => runNode('src/cli.ts', args, env)
const edited = (name: string, edit: (records: any[]) => any[]) =>
  tarGz(withEntry(entries, name, editRecords(entries, name, edit)))

describe('uniqueness across the whole archive', () => {
  it('two collaborators whose emails differ only in case: refused, nothing written, one line from the CLI', async () => {
    const archive = await edited('collaborators.ndjson', (people) => [
      ...people,
      { ...people[1], id: 'e'.repeat(24), email: String(people[1].email).toUpperCase() },
    ])
    await expectRefused(t, owner, archive, /two collaborators records have the email "[^"]+"/)

    const before = await everything(t)
    const run = await cli('import', await archiveFile(archive), '--owner', `cli-${Date.now()}@example.test`)
    expect(run.code).toBe(1)
    expect(run.stdout).toBe('')
    expect(run.stderr.trim().split('\n')).toHaveLength(1)
    expect(run.stderr).toMatch(/^orgspace: import refused: two collaborators records have the email/)
    expect(run.stderr).not.toMatch(/DATABASE_URL|\s+at /)
    expect(await everything(t)).toEqual(before)
  })

  it('two apps with one slug, two audit events with one id', async () => {
    await expectRefused(
      t,
      owner,
      await edited('apps.ndjson', (apps) => [...apps, { ...apps[0], id: 'e'.repeat(24), name: 'Twin' }]),
      /two apps records have the slug/,
    )
    await expectRefused(
      t,
      owner,
      await edited('audit-events.ndjson', (events) => [...events, { ...events[0] }]),
      /two auditEvents records have the id/,
    )
  })
})

describe('each build record against its bytes', () => {
  it('a record saying 1 byte for a bigger entry, or another SHA-256: refused', async () => {
    await expectRefused(
      t,
      owner,
      await edited('builds.ndjson', (builds) => builds.map((b, i) => (i === 0 ? { ...b, size: 1 } : b))),
      /build [a-f0-9]{24} says 1 bytes/,
    )
    await expectRefused(
      t,
      owner,
      await edited('builds.ndjson', (builds) =>
        builds.map((b, i) => (i === 0 ? { ...b, sha256: 'a'.repeat(64) } : b)),
      ),
      /build [a-f0-9]{24} says \d+ bytes and SHA-256 a{64}/,
    )
  })

  it('a build over BUILD_MAX_BYTES: refused', async () => {
    const path = await archiveFile(await tarGz(entries))
    const before = await everything(t)
    // The archive's largest build is 70,000 bytes.
    await expect(
      importArchive(t.db, t.storage, path, { owner: owner.email, limits: { buildMaxBytes: 69_999 } }),
    ).rejects.toThrow(/is 70000 bytes, over this server's BUILD_MAX_BYTES \(69999\)/)
    expect(await everything(t)).toEqual(before)
  })

  it("a build of an app the archive does not hold (the database's foreign key): refused by name", async () => {
    const builds = editRecords(entries, 'builds.ndjson', (b) => b)
    const appOfBuild = JSON.parse(builds.toString().split('\n')[0] ?? '{}').applicationId
    const archive = await edited('apps.ndjson', (apps) => apps.filter((a) => a.id !== appOfBuild))
    await expectRefused(
      t,
      owner,
      archive,
      new RegExp(`belongs to app ${appOfBuild}, which is not in apps.ndjson`),
    )
  })
})

describe('reading lines', () => {
  it('one 32 MiB line is refused as too long, without reading it whole', async () => {
    const devices = entries.find((e) => e.name === 'devices.ndjson')?.bytes ?? Buffer.alloc(0)
    const long = Buffer.concat([devices, Buffer.alloc(32 * 1024 * 1024, 'x'), Buffer.from('\n')])
    await expectRefused(
      t,
      owner,
      await tarGz(withEntry(entries, 'devices.ndjson', long)),
      /record \d+ of devices.ndjson is longer than 4194304 bytes/,
    )
  })

  it('a record that is not valid UTF-8 is refused, not read as U+FFFD', async () => {
    const devices = editRecords(entries, 'devices.ndjson', (d) =>
      d.map((r, i) => (i === 0 ? { ...r, name: 'ÿÿ' } : r)),
    )
    // 'ÿ' is C3 BF in UTF-8: its second byte alone is a continuation byte with no start.
    const broken = Buffer.from(devices)
    const at = broken.indexOf(Buffer.from('ÿÿ'))
    broken[at] = 0x20
    await expectRefused(
      t,
      owner,
      await tarGz(withEntry(entries, 'devices.ndjson', broken)),
      /record 1 of devices.ndjson is not valid UTF-8/,
    )
  })
})

describe('the CLI', () => {
  it('a missing file: the file does not exist (not "damaged or truncated")', async () => {
    const run = await cli('import', '/nonexistent/archive.tar.gz', '--owner', 'x@example.test')
    expect(run.code).toBe(1)
    expect(run.stderr.trim()).toBe('orgspace: import refused: /nonexistent/archive.tar.gz does not exist')
  })

  it('an error whose code is a number does not crash the start-up reporter', () => {
    const error = Object.assign(new Error('Entity not found'), { code: 3001 })
    const written: string[] = []
    const write = process.stderr.write
    const url = process.env.DATABASE_URL
    process.env.DATABASE_URL = 'sqlite:./x.db'
    process.stderr.write = ((chunk: string) => (written.push(chunk), true)) as typeof process.stderr.write
    try {
      reportStartupError(error)
    } finally {
      process.stderr.write = write
      if (url === undefined) delete process.env.DATABASE_URL
      else process.env.DATABASE_URL = url
    }
    expect(written.join('')).toMatch(/^orgspace: Error: Entity not found/)
  })
})
