import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'vitest'
import type { TestApp } from './app.js'
import { tarGz, untar, type Entry } from './archives.js'
import { as, type TestUser } from './factories.js'
import { waitFor } from './processes.js'
import { purgeNow } from './purge.js'
import { download, everything, populated } from './workspace.js'
import { importArchive } from '../../src/exports/import.js'
import { ArchiveRefused } from '../../src/exports/reader.js'

// The import tests' common ground: a real export of a populated workspace (deleted afterwards, so its slug is
// free and a refusal is the archive's fault alone), and the check that a refused archive wrote nothing.

export const limits = { buildMaxBytes: 64 * 1024 * 1024 }

/** A populated workspace exported through the API, then deleted and purged: its archive and entries. */
export async function exportedWorkspace(t: TestApp, owner: TestUser) {
  const org = await populated(t, owner)
  const started = (await as(t, owner).post(`/v1/organizations/${org.id}/exports`)).body.data
  const url = `/v1/organizations/${org.id}/exports/${started.id}`
  await waitFor(async () => (await as(t, owner).get(url)).body.data.status === 'completed', 10_000)
  const archive = await download(t, owner, `${url}/download`)
  const entries: Entry[] = await untar(archive)
  await as(t, owner).delete(`/v1/organizations/${org.id}`)
  await purgeNow(t.db)
  return { archive, entries }
}

const folder = mkdtempSync(join(tmpdir(), 'orgspace-imports-'))

/** Writes the archive to a file of its own; its path. */
export async function archiveFile(entries: Entry[] | Buffer): Promise<string> {
  const path = join(folder, `${Math.random().toString(16).slice(2)}.tar.gz`)
  writeFileSync(path, Buffer.isBuffer(entries) ? entries : await tarGz(entries))
  return path
}

/** The archive is refused for `reason`, for a new owner and a known one alike, and nothing at all is written. */
export async function expectRefused(t: TestApp, owner: TestUser, archive: Entry[] | Buffer, reason: RegExp) {
  const path = await archiveFile(archive)
  const before = await everything(t)
  await expect(
    importArchive(t.db, t.storage, path, { limits, owner: `someone-${Date.now()}@example.test` }),
  ).rejects.toThrow(reason)
  await expect(importArchive(t.db, t.storage, path, { limits, owner: owner.email })).rejects.toBeInstanceOf(
    ArchiveRefused,
  )
  expect(await everything(t)).toEqual(before)
}
