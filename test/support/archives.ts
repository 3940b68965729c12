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
