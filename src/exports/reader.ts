import { isUtf8 } from 'node:buffer'
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { Readable } from 'node:stream'
import { finished } from 'node:stream/promises'
import { createGunzip } from 'node:zlib'
import tar from 'tar-stream'
import { textFault } from '../core/text.js'
import { Compile } from 'typebox/compile'
import {
  isEntryName,
  Manifest,
  MANIFEST,
  RESOURCES,
  RESOURCE_NAMES,
  type ManifestFile,
  type Resource,
} from './format.js'

// Reading an archive, for the importer: entries in order, each checked against the manifest as it streams (name,
// size, SHA-256, record count, every record against its schema). `verifyArchive` reads it all once and writes
// nothing; the import then reads it again, checking the same way, so a file changed in between is caught too.

/** An archive orgspace will not import, and why, in words for the person running the import. */
export class ArchiveRefused extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ArchiveRefused'
  }
}

/** A manifest bigger than this is not one orgspace wrote (it lists builds, not rows). */
const MANIFEST_MAX_BYTES = 64 * 1024 * 1024
const checkManifest = Compile(Manifest)
const checkRecord = Object.fromEntries(
  RESOURCE_NAMES.map((name) => [name, Compile(RESOURCES[name].schema)]),
) as Record<Resource, ReturnType<typeof Compile>>
const resourceOfFile = new Map<string, Resource>(RESOURCE_NAMES.map((name) => [RESOURCES[name].file, name]))

export interface ArchiveVisitor {
  /** The manifest, checked, before any other entry. */
  manifest?(manifest: Manifest): void
  /** Each record of an NDJSON file, checked against its schema, a page at a time (the reader waits). */
  records?(resource: Resource, records: unknown[]): Promise<void>
  /** A build's bytes; the stream must be consumed. The SHA-256 is checked as it is read. */
  build?(applicationId: string, buildId: string, bytes: Readable): Promise<void>
}

/**
 * Records handed over at a time; the import writes each page in one transaction. Every transaction has fixed costs
 * (the lease's lock and renewal, the commit, a statement for the page's last rows), so pages are large; the records
 * of one page are in memory at once, so not as large as `orgspace seed`'s transactions (BENCHMARKS.md).
 */
const PAGE_RECORDS = 5_000

/** Reads the archive at `path` through, checking everything; returns its manifest. Throws ArchiveRefused. */
export async function readArchive(path: string, visitor: ArchiveVisitor = {}): Promise<Manifest> {
  const extract = tar.extract()
  const gunzip = createGunzip()
  const source = createReadStream(path)
  const fail = (error: Error) =>
    extract.destroy(
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? new ArchiveRefused(`${path} does not exist`)
        : error,
    )
  source.on('error', fail)
  gunzip.on('error', fail)
  source.pipe(gunzip).pipe(extract as unknown as NodeJS.WritableStream)

  let manifest: Manifest | undefined
  let expected = new Map<string, ManifestFile>()
  const seen = new Set<string>()
  try {
    for await (const entry of extract) {
      const { name, type } = entry.header
      if (!isEntryName(name) || type !== 'file')
        throw new ArchiveRefused(
          `the archive holds an entry orgspace does not write: ${JSON.stringify(name)}`,
        )
      if (!manifest) {
        if (name !== MANIFEST) throw new ArchiveRefused(`the archive does not start with ${MANIFEST}`)
        manifest = parseManifest(await collect(chunksOf(entry), MANIFEST_MAX_BYTES))
        expected = new Map(manifest.files.map((file) => [file.name, file]))
        visitor.manifest?.(manifest)
        continue
      }
      const file = expected.get(name)
      if (!file || seen.has(name))
        throw new ArchiveRefused(`${name} is not listed in the manifest (or repeated)`)
      seen.add(name)
      const resource = resourceOfFile.get(name)
      const hash = createHash('sha256')
      let size = 0
      const metered = (async function* () {
        for await (const chunk of chunksOf(entry)) {
          size += chunk.length
          hash.update(chunk)
          yield chunk
        }
      })()
      let records = 0
      if (resource) records = await readRecords(resource, metered, visitor)
      else {
        const [, applicationId = '', buildId = ''] = name.split('/')
        const bytes = Readable.from(metered)
        if (visitor.build) await visiting(visitor.build(applicationId, buildId, bytes))
        else bytes.resume()
        await finished(bytes)
      }
      if (size !== file.size || hash.digest('hex') !== file.sha256)
        throw new ArchiveRefused(`${name} does not match its size and SHA-256 in the manifest`)
      if (resource && records !== file.records)
        throw new ArchiveRefused(
          `${name} holds ${records} records, the manifest says ${file.records ?? 'none'}`,
        )
    }
  } catch (error) {
    source.destroy()
    if (error instanceof ArchiveRefused) throw error
    // The import's own failure (the database, storage): not the archive's fault, so not called damage.
    if (error instanceof VisitFailed) throw error.cause
    throw new ArchiveRefused(`the archive is damaged or truncated (${(error as Error).message})`)
  }
  if (!manifest) throw new ArchiveRefused('the archive is empty')
  for (const name of expected.keys())
    if (!seen.has(name)) throw new ArchiveRefused(`${name} is listed in the manifest but missing`)
  return manifest
}

/** Wraps what the visitor throws, to tell it from the archive's own damage. */
class VisitFailed extends Error {
  constructor(override readonly cause: unknown) {
    super('the import failed')
  }
}

async function visiting(work: Promise<void> | undefined): Promise<void> {
  try {
    await work
  } catch (error) {
    throw error instanceof ArchiveRefused ? error : new VisitFailed(error)
  }
}

/** An entry's bytes (tar-stream's streams are streamx streams; their chunks are Buffers). */
function chunksOf(entry: AsyncIterable<unknown>): AsyncIterable<Buffer> {
  return entry as AsyncIterable<Buffer>
}

function parseManifest(bytes: Buffer): Manifest {
  let value: unknown
  try {
    value = JSON.parse(bytes.toString('utf8'))
  } catch {
    throw new ArchiveRefused(`${MANIFEST} is not JSON`)
  }
  if (!checkManifest.Check(value)) {
    const version = (value as { formatVersion?: unknown } | null)?.formatVersion
    throw new ArchiveRefused(
      version !== undefined && version !== 1
        ? `format version ${JSON.stringify(version)} is not one this orgspace reads (1)`
        : `${MANIFEST} is not an orgspace export manifest`,
    )
  }
  const manifest = value as Manifest
  const names = new Set<string>()
  for (const file of manifest.files) {
    if (!isEntryName(file.name) || file.name === MANIFEST || names.has(file.name))
      throw new ArchiveRefused(
        `the manifest lists an entry orgspace does not write: ${JSON.stringify(file.name)}`,
      )
    names.add(file.name)
  }
  for (const resource of RESOURCE_NAMES) {
    const file = manifest.files.find((f) => f.name === RESOURCES[resource].file)
    if (!file) throw new ArchiveRefused(`the manifest does not list ${RESOURCES[resource].file}`)
    if (file.records !== manifest.counts[resource])
      throw new ArchiveRefused(`the manifest's count of ${resource} does not match ${file.name}`)
  }
  const builds = manifest.files.filter((f) => f.name.startsWith('builds/')).length
  if (builds !== manifest.counts.builds)
    throw new ArchiveRefused(`the manifest counts ${manifest.counts.builds} builds but lists ${builds} files`)
  return manifest
}

async function collect(entry: AsyncIterable<Buffer>, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of entry) {
    size += chunk.length
    if (size > limit) throw new ArchiveRefused(`${MANIFEST} is too large`)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

/**
 * The longest record line read. The largest record the format's bounds allow is a build with 1,000 tags of 256
 * characters, each written as a six-byte escape: about 1.6 MB. No valid archive reaches this, and a hostile one
 * costs at most this much memory per line.
 */
export const MAX_LINE_BYTES = 4 * 1024 * 1024

/**
 * Splits NDJSON into lines as bytes arrive: each chunk is scanned once for newlines, and a line cut across chunks
 * is kept as its pieces until its end, so a long line costs its length, not its length squared.
 */
export async function* ndjsonLines(bytes: AsyncIterable<Buffer>, file: string): AsyncGenerator<string> {
  let pieces: Buffer[] = []
  let pending = 0
  let line = 0
  const decode = (raw: Buffer) => {
    line++
    if (!isUtf8(raw)) throw new ArchiveRefused(`record ${line} of ${file} is not valid UTF-8`)
    return raw.toString('utf8')
  }
  for await (const chunk of bytes) {
    let start = 0
    for (let end = chunk.indexOf(0x0a); end !== -1; end = chunk.indexOf(0x0a, start)) {
      if (pending + end - start > MAX_LINE_BYTES) throw tooLong(file, line + 1)
      const part = chunk.subarray(start, end)
      yield decode(pending === 0 ? part : Buffer.concat([...pieces, part]))
      pieces = []
      pending = 0
      start = end + 1
    }
    if (start < chunk.length) {
      pending += chunk.length - start
      if (pending > MAX_LINE_BYTES) throw tooLong(file, line + 1)
      pieces.push(chunk.subarray(start))
    }
  }
  if (pending > 0) throw new ArchiveRefused(`${file} does not end with a newline`)
}

function tooLong(file: string, line: number): ArchiveRefused {
  return new ArchiveRefused(`record ${line} of ${file} is longer than ${MAX_LINE_BYTES} bytes`)
}

/** Splits NDJSON into records, checks each, and hands them to the visitor a page at a time; returns the count. */
async function readRecords(
  resource: Resource,
  bytes: AsyncIterable<Buffer>,
  visitor: ArchiveVisitor,
): Promise<number> {
  const check = checkRecord[resource]
  const file = RESOURCES[resource].file
  let count = 0
  let page: unknown[] = []
  for await (const line of ndjsonLines(bytes, file)) {
    let record: unknown
    try {
      record = JSON.parse(line)
    } catch {
      throw new ArchiveRefused(`record ${count + 1} of ${file} is not JSON`)
    }
    if (!check.Check(record))
      throw new ArchiveRefused(`record ${count + 1} of ${file} is not a valid ${resource} record`)
    // A NUL or a lone surrogate can only come from a `\u` escape: the line is valid UTF-8 (no surrogates) and JSON
    // allows no raw control characters in strings. JSON.stringify writes no such escape for ordinary text, so most
    // lines skip the walk over every key and value.
    const fault = line.includes('\\u') ? textFault(record) : null
    if (fault)
      throw new ArchiveRefused(`record ${count + 1} of ${file}: ${fault.path.slice(1)} ${fault.message}`)
    count++
    page.push(record)
    if (page.length >= PAGE_RECORDS) {
      await visiting(visitor.records?.(resource, page))
      page = []
    }
  }
  if (page.length > 0) await visiting(visitor.records?.(resource, page))
  return count
}
