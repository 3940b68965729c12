import { createHash } from 'node:crypto'
import { gunzipSync, gzipSync } from 'node:zlib'
import tar from 'tar-stream'

// Archives read and written by the tests with tar-stream and zlib directly, not through src/exports: what an
// archive holds is checked (and tampered with) independently of the code that writes and reads it.

export interface Entry {
  name: string
  bytes: Buffer
}

export async function untar(gz: Buffer): Promise<Entry[]> {
  const extract = tar.extract()
  const entries: Entry[] = []
  const done = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = []
      for await (const chunk of entry) chunks.push(chunk as Buffer)
      entries.push({ name: entry.header.name, bytes: Buffer.concat(chunks) })
    }
  })()
  extract.end(gunzipSync(gz))
  await done
  return entries
}

export async function tarGz(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack()
  const chunks: Buffer[] = []
  const collected = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer)
  })()
  for (const { name, bytes } of entries) pack.entry({ name, size: bytes.length }, bytes)
  pack.finalize()
  await collected
  return gzipSync(Buffer.concat(chunks))
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex')
}

export function lines(entry: Entry | undefined): unknown[] {
  if (!entry) return []
  return entry.bytes
    .toString('utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as unknown)
}

/** The archive's manifest, parsed (it is the first entry). */
export function manifestOf(entries: Entry[]): any {
  return JSON.parse(entries[0]?.bytes.toString() ?? '{}')
}

/**
 * The archive with one entry's bytes replaced (or added) and the manifest told the truth about it: its size,
 * SHA-256 and, for NDJSON, record count (and the manifest's counts). Only the rule under test is then broken.
 * `manifest` edits the manifest further.
 */
export function withEntry(
  entries: Entry[],
  name: string,
  bytes: Buffer,
  manifest: (m: any) => void = () => undefined,
): Entry[] {
  const m = manifestOf(entries)
  const file = m.files.find((f: { name: string }) => f.name === name)
  const listed = file ?? { name }
  if (!file) m.files.push(listed)
  Object.assign(listed, { size: bytes.length, sha256: sha256(bytes) })
  if (name.endsWith('.ndjson')) {
    const records = bytes.toString('utf8').split('\n').length - 1
    const resource = RESOURCE_OF_FILE[name]
    listed.records = records
    if (resource) m.counts[resource] = records
  }
  manifest(m)
  const rest = entries.slice(1)
  const at = rest.findIndex((e) => e.name === name)
  if (at === -1) rest.push({ name, bytes })
  else rest[at] = { name, bytes }
  return [{ name: 'manifest.json', bytes: Buffer.from(JSON.stringify(m)) }, ...rest]
}

/** Written out here rather than taken from src/exports/format.ts: the tests' own reading of the format. */
const RESOURCE_OF_FILE: Record<string, string> = {
  'collaborators.ndjson': 'collaborators',
  'apps.ndjson': 'apps',
  'builds.ndjson': 'builds',
  'devices.ndjson': 'devices',
  'subscriptions.ndjson': 'subscriptions',
  'audit-events.ndjson': 'auditEvents',
}

/** An NDJSON entry's records, edited by `edit`, as bytes again. */
export function editRecords(entries: Entry[], name: string, edit: (records: any[]) => any[]): Buffer {
  const records = lines(entries.find((e) => e.name === name)) as any[]
  return Buffer.from(
    edit(records)
      .map((r) => JSON.stringify(r) + '\n')
      .join(''),
  )
}
