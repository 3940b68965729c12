import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdtemp, open, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { Readable, Transform, type Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGzip } from 'node:zlib'
import tar from 'tar-stream'
import type { Db } from '../db/connect.js'
import { VERSION } from '../root.js'
import { buildKey } from '../storage/keys.js'
import type { ObjectStorage } from '../storage/storage.js'
import {
  buildEntryName,
  FORMAT,
  FORMAT_VERSION,
  MANIFEST,
  RESOURCES,
  RESOURCE_NAMES,
  type BuildRecord,
  type Counts,
  type Manifest,
  type ManifestFile,
  type Resource,
} from './format.js'
import { findLiveOrganization, resourceCounts } from './repository.js'
import { RECORD_PAGES } from './records.js'

// Writing an archive. A tar entry's header carries its size, so each NDJSON file is first spooled to a temporary
// file (hashed and counted on the way), one page of rows at a time; the manifest then knows every entry's size
// and SHA-256 and goes first, followed by the files and the builds' bytes streamed from storage. Memory holds one
// page of rows and the streams' buffers, whatever the organization's size; the disk holds the NDJSON once.

const PAGE_ROWS = 2_000

export interface ArchiveHooks {
  /** `done` of `total` units (rows read, then builds packed). */
  onProgress?(done: number, total: number, step: string): void
  /** Aborting stops the export: the sink is destroyed and the temporary files removed. */
  signal?: AbortSignal
}

export interface ArchiveResult {
  counts: Counts
  /** Of the compressed archive written to the sink. */
  size: number
  sha256: string
}

export class ExportFailed extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ExportFailed'
  }
}

interface Spooled extends ManifestFile {
  path: string
  records: number
}

/** Streams the archive of the live organization `organizationId` into `sink`. */
export async function writeArchive(
  db: Db,
  storage: ObjectStorage,
  organizationId: string,
  sink: Writable,
  hooks: ArchiveHooks = {},
): Promise<ArchiveResult> {
  const org = await findLiveOrganization(db, organizationId)
  if (!org) throw new ExportFailed('the organization is not there (deleted, or never was)')
  const folder = await mkdtemp(join(tmpdir(), 'orgspace-export-'))
  try {
    const totals = await resourceCounts(db, organizationId)
    const total = RESOURCE_NAMES.reduce((sum, name) => sum + totals[name], 0) + totals.builds
    let done = 0
    const step = (units: number, name: string) => {
      done += units
      hooks.onProgress?.(done, Math.max(total, done), name)
    }

    const spooled = {} as Record<Resource, Spooled>
    for (const resource of RESOURCE_NAMES) {
      spooled[resource] = await spool(db, organizationId, resource, join(folder, RESOURCES[resource].file), {
        signal: hooks.signal,
        onPage: (rows) => step(rows, resource),
      })
    }
    const buildFiles: ManifestFile[] = []
    for await (const build of buildRecords(spooled.builds.path))
      buildFiles.push({
        name: buildEntryName(build.applicationId, build.id),
        size: build.size,
        sha256: build.sha256,
      })

    const exportedAt = new Date()
    const manifest: Manifest = {
      format: FORMAT,
      formatVersion: FORMAT_VERSION,
      orgspaceVersion: VERSION,
      exportedAt: exportedAt.toISOString(),
      organization: {
        id: org.id,
        name: org.name,
        slug: org.slug,
        webSiteUrl: org.web_site_url,
        createdAt: org.created_at,
      },
      counts: Object.fromEntries(RESOURCE_NAMES.map((r) => [r, spooled[r].records])) as Counts,
      files: [...RESOURCE_NAMES.map((r) => fileOf(spooled[r])), ...buildFiles],
    }

    const pack = tar.pack()
    const meter = new Meter()
    const written = pipeline(pack, createGzip(), meter, sink)
    const stop = () => pack.destroy(abortReason(hooks.signal))
    hooks.signal?.addEventListener('abort', stop, { once: true })
    written.finally(() => hooks.signal?.removeEventListener('abort', stop)).catch(() => undefined)
    // The pipeline's own failure (the sink's, or an abort) ends the packing below too: a destroyed pack's entries
    // may never finish, so each copy races it.
    const broken = written.then(
      () => new Promise<never>(() => undefined),
      (error: unknown) => {
        pack.destroy(error instanceof Error ? error : new Error(String(error)))
        throw error
      },
    )
    broken.catch(() => undefined)
    const entry = (name: string, size: number) => pack.entry({ name, size, mtime: exportedAt, mode: 0o644 })
    const copy = (source: AsyncIterable<Buffer>, target: EntryStream) =>
      Promise.race([copyInto(source, target), broken])

    const manifestBytes = Buffer.from(JSON.stringify(manifest, null, 2) + '\n')
    await copy(Readable.from([manifestBytes]), entry(MANIFEST, manifestBytes.length))
    for (const resource of RESOURCE_NAMES) {
      const file = spooled[resource]
      await copy(createReadStream(file.path), entry(file.name, file.size))
    }
    for await (const build of buildRecords(spooled.builds.path)) {
      hooks.signal?.throwIfAborted()
      const body = await storage.get(buildKey(organizationId, build.applicationId, build.id))
      if (!body) throw new ExportFailed(`the bytes of build ${build.id} are not in storage`)
      const sha256 = await copy(body, entry(buildEntryName(build.applicationId, build.id), build.size))
      // Bytes that are not what the build row says would make an archive no importer accepts.
      if (sha256 !== build.sha256)
        throw new ExportFailed(`the bytes of build ${build.id} do not match its SHA-256`)
      step(1, 'builds')
    }
    pack.finalize()
    await written
    return { counts: manifest.counts, size: meter.size, sha256: meter.digest() }
  } finally {
    await rm(folder, { recursive: true, force: true })
  }
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason
  return reason instanceof Error ? reason : new Error('the export was stopped')
}

function fileOf({ name, size, sha256, records }: Spooled): ManifestFile {
  return { name, size, sha256, records }
}

/** Writes a resource's records to `path` page by page; returns its manifest entry. */
async function spool(
  db: Db,
  organizationId: string,
  resource: Resource,
  path: string,
  options: { signal: AbortSignal | undefined; onPage(rows: number): void },
): Promise<Spooled> {
  const hash = createHash('sha256')
  const handle = await open(path, 'w')
  let size = 0
  let records = 0
  try {
    for await (const lines of RECORD_PAGES[resource](db, organizationId, PAGE_ROWS)) {
      options.signal?.throwIfAborted()
      const text = lines.map((record) => JSON.stringify(record) + '\n').join('')
      const bytes = Buffer.from(text)
      hash.update(bytes)
      await handle.write(bytes)
      size += bytes.length
      records += lines.length
      options.onPage(lines.length)
    }
  } finally {
    await handle.close()
  }
  return { name: RESOURCES[resource].file, path, size, sha256: hash.digest('hex'), records }
}

async function* buildRecords(path: string): AsyncGenerator<BuildRecord> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity })
  for await (const line of lines) if (line !== '') yield JSON.parse(line) as BuildRecord
}

/** What tar-stream's entries offer (streamx streams, not Node's). */
interface EntryStream {
  write(chunk: Buffer): boolean
  end(data?: unknown): unknown
  once(event: 'finish' | 'close' | 'error' | 'drain', listener: (...args: unknown[]) => void): unknown
}

/** Copies `source` into a tar entry, with backpressure; returns the SHA-256 of what went through. */
async function copyInto(source: AsyncIterable<Buffer>, target: EntryStream): Promise<string> {
  const hash = createHash('sha256')
  const finished = new Promise<void>((resolve, reject) => {
    target.once('finish', () => resolve())
    target.once('close', () => resolve())
    target.once('error', (error) => reject(error instanceof Error ? error : new Error(String(error))))
  })
  // Awaited below; a failure while the copy waits is the caller's to see through its race, not an unhandled one.
  finished.catch(() => undefined)
  for await (const chunk of source) {
    hash.update(chunk)
    if (!target.write(chunk)) await new Promise<void>((resolve) => target.once('drain', () => resolve()))
  }
  target.end(undefined)
  await finished
  return hash.digest('hex')
}

/** Passes bytes through, counting and hashing them: the archive's size and SHA-256. */
class Meter extends Transform {
  size = 0
  private readonly hash = createHash('sha256')
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.size += chunk.length
    this.hash.update(chunk)
    this.push(chunk)
    done()
  }
  digest(): string {
    return this.hash.digest('hex')
  }
}
