import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { createHash } from 'node:crypto'
import tar from 'tar-stream'
import { readArchive } from '../src/exports/reader.js'

// The import reader against one very long NDJSON line (BENCHMARKS.md, "Import: one long line"): how long until it
// is refused, and the process's memory before reading (the archive built in memory) and at its peak while reading.
// `npx tsx bench/ndjson-lines.ts [MiB]` (default 32).

const mib = Number(process.argv[2] ?? 32)
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')
const line = Buffer.concat([
  Buffer.from('{"id":"'),
  Buffer.alloc(mib * 1024 * 1024, 'x'),
  Buffer.from('"}\n'),
])
const files = ['collaborators', 'apps', 'builds', 'devices', 'subscriptions', 'audit-events'].map((name) => ({
  name: `${name}.ndjson`,
  bytes: name === 'devices' ? line : Buffer.alloc(0),
}))
const resource = (name: string) => (name === 'audit-events' ? 'auditEvents' : name)
const manifest = {
  format: 'orgspace-export',
  formatVersion: 2,
  orgspaceVersion: 'bench',
  exportedAt: new Date().toISOString(),
  organization: {
    id: 'a'.repeat(24),
    name: 'Bench',
    slug: 'bench',
    webSiteUrl: null,
    createdAt: '2026-01-01T00:00:00Z',
  },
  counts: Object.fromEntries(
    files.map((f) => [resource(f.name.replace('.ndjson', '')), f.bytes.length ? 1 : 0]),
  ),
  files: files.map((f) => ({
    name: f.name,
    size: f.bytes.length,
    sha256: sha(f.bytes),
    records: f.bytes.length ? 1 : 0,
  })),
}

const pack = tar.pack()
const chunks: Buffer[] = []
const collected = (async () => {
  for await (const chunk of pack) chunks.push(chunk as Buffer)
})()
pack.entry({ name: 'manifest.json' }, Buffer.from(JSON.stringify(manifest)))
for (const f of files) pack.entry({ name: f.name, size: f.bytes.length }, f.bytes)
pack.finalize()
await collected
const folder = mkdtempSync(join(tmpdir(), 'orgspace-bench-lines-'))
const path = join(folder, 'long-line.tar.gz')
writeFileSync(path, gzipSync(Buffer.concat(chunks)))

const baseline = process.memoryUsage().rss
let peak = baseline
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5)
const started = process.hrtime.bigint()
let outcome = 'accepted'
try {
  await readArchive(path)
} catch (error) {
  outcome = `refused: ${(error as Error).message}`
}
const ms = Number(process.hrtime.bigint() - started) / 1e6
clearInterval(sampler)
peak = Math.max(peak, process.memoryUsage().rss)
rmSync(folder, { recursive: true, force: true })
const mb = (bytes: number) => Math.round(bytes / 1e6)
console.log(
  JSON.stringify({
    lineMiB: mib,
    ms: Math.round(ms),
    rssBeforeMB: mb(baseline),
    peakRssMB: mb(peak),
    outcome,
  }),
)
