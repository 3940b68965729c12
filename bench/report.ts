import { cpus } from 'node:os'
import { int, mb, ms, percent, ratio } from './format.js'
import { shortCount } from './plan.js'
import type { BenchResults, DialectResults, TargetLine } from './results.js'
import { exportImportSection } from './scenarios/export-import.js'
import { startupSection } from './scenarios/startup.js'
import type { SteadyLatency, ThroughputRun } from './scenarios/api-throughput.js'
import type { CpuShare } from './scenarios/storage.js'

// bench/results/latest.md: the targets first, then one table per scenario, every database side by side.

const NAMES = { sqlite: 'SQLite', postgres: 'PostgreSQL' } as const

const table = (head: string[], rows: string[][]) =>
  [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n')

function verdict(line: TargetLine | undefined): string {
  if (!line) return '–'
  const word = line.met === null ? '**not measured**' : line.met ? '**met**' : '**MISSED**'
  return `${word}: ${line.detail}`
}

function targetsTable(results: BenchResults): string {
  // Scenario 7 runs on SQLite alone, so a run of it alone has a SQLite column and no per-database results.
  const dialects = (['sqlite', 'postgres'] as const).filter(
    (d) => results.dialects.some((r) => r.dialect === d) || results.targets.some((t) => t.dialect === d),
  )
  const ids = [...new Set(results.targets.map((t) => t.id))]
  return table(
    ['#', 'target', ...dialects.map((d) => NAMES[d])],
    ids.map((id) => {
      const lines = results.targets.filter((t) => t.id === id)
      return [id, lines[0]?.target ?? '', ...dialects.map((d) => verdict(lines.find((l) => l.dialect === d)))]
    }),
  )
}

function deleteSection(ds: DialectResults[]): string {
  const parts = ds.map((d) => {
    const r = d.deleteLatency
    if (!r) return `**${NAMES[d.dialect]}**: ${d.errors['1'] ?? 'not run'}`
    const rows = r.rows.map((row) => [
      shortCount(row.rows),
      ms(row.orgspace.p50),
      ms(row.orgspace.p99),
      ms(row.baseline.p50),
      ms(row.baseline.p99),
      `${row.orgspace.n} / ${row.baseline.n}`,
    ])
    const layout = [
      r.sharedSizes.length
        ? `sizes ${r.sharedSizes.map(shortCount).join(', ')} deleted one after another from one copy per server`
        : '',
      r.copiedSizes.length
        ? `${r.copiedSizes.map(shortCount).join(', ')}: a fresh copy and server per DELETE`
        : '',
    ]
      .filter(Boolean)
      .join('; ')
    return `**${NAMES[d.dialect]}** (${layout})\n\n${table(
      ['rows (devices + audit)', 'orgspace p50', 'orgspace p99', 'cascade p50', 'cascade p99', 'n'],
      rows,
    )}`
  })
  return `## 1. DELETE answer vs organization size\n\n${parts.join('\n\n')}`
}

function purgeSection(ds: DialectResults[]): string {
  const rows = ds.map((d) => {
    const p = d.purge
    if (!p) return [NAMES[d.dialect], d.errors['2'] ?? 'not run', '', '', '', '', '', '']
    return [
      NAMES[d.dialect],
      int(p.rows),
      `${p.seconds.toFixed(2)} s`,
      int(p.rowsPerSecond),
      `${int(p.floor.rowsPerSecond)} (${p.floor.seconds.toFixed(2)} s)`,
      percent(p.ratio),
      ms(p.deleteAnswerMs),
      `${mb(p.rss.beforeBytes)} → ${mb(p.rss.peakBytes)}`,
    ]
  })
  const fresh = ds.flatMap((d) => (d.purge?.fresh ? [[NAMES[d.dialect], d.purge.fresh] as const] : []))
  const cliff =
    fresh.length === 0
      ? ''
      : `\n\nAn organization seeded moments before, purged as it is (no ANALYZE yet) and from an identical copy after \`ANALYZE\`:\n\n${table(
          ['database', 'rows purged', 'reltuples at DELETE', 'no ANALYZE', 'after ANALYZE', 'ratio'],
          fresh.map(([name, f]) => [
            name,
            int(f.rows),
            String(f.reltuplesAtDelete),
            `${f.freshSeconds.toFixed(2)} s`,
            `${f.analyzedSeconds.toFixed(2)} s`,
            `×${f.ratio.toFixed(2)}`,
          ]),
        )}`
  return `## 2. Purge throughput\n\n${table(
    [
      'database',
      'rows purged',
      'DELETE → completed',
      'rows/s',
      'floor rows/s',
      'vs floor',
      'DELETE answer',
      'server RSS (peak)',
    ],
    rows,
  )}${cliff}`
}

function neighbourSection(ds: DialectResults[]): string {
  const rows = ds.flatMap((d) => {
    const n = d.neighbours
    if (!n) return [[NAMES[d.dialect], d.errors['3'] ?? 'not run', '', '', '', '', '', '']]
    return n.phases.map((p) => [
      NAMES[d.dialect],
      p.name === 'idle'
        ? 'no deletion'
        : p.name === 'purge'
          ? 'during orgspace purge'
          : 'during baseline cascade',
      `${((p.windowMs[1] - p.windowMs[0]) / 1000).toFixed(1)} s`,
      `${ms(p.reads.p50)} / ${ms(p.reads.p99)}`,
      `${ms(p.writes.p50)} / ${ms(p.writes.p99)}`,
      `${ms(Math.max(p.reads.max, p.writes.max))}`,
      `${p.reads.n + p.writes.n}`,
      `${p.reads.errors + p.writes.errors}`,
    ])
  })
  const rate = ds.find((d) => d.neighbours)?.neighbours?.ratePerSecond
  return `## 3. Neighbour latency${rate ? ` (${rate} req/s open-loop on other organizations)` : ''}\n\n${table(
    ['database', 'phase', 'window', 'reads p50 / p99', 'writes p50 / p99', 'max', 'requests', 'errors'],
    rows,
  )}\n\n![neighbour latency over time](neighbour-latency.svg)`
}

const THROUGHPUT_SERVERS: Record<ThroughputRun['target'], string> = {
  large: 'orgspace, large organization',
  empty: 'orgspace, empty organization',
  bare: 'bare Fastify route, same bytes',
  'bare-query': 'bare route + one `select 1` round trip',
}

function throughputSection(ds: DialectResults[]): string {
  const rows = ds.flatMap((d) => {
    const t = d.throughput
    if (!t) return [[NAMES[d.dialect], d.errors['4'] ?? 'not run', '', '', '', '', '']]
    const bare = t.runs.find((r) => r.target === 'bare')?.requestsPerSecond
    return t.runs.map((r) => [
      NAMES[d.dialect],
      THROUGHPUT_SERVERS[r.target],
      int(r.requestsPerSecond),
      `${ms(r.p50Ms)} / ${ms(r.p99Ms)}`,
      bare ? ratio(r.requestsPerSecond / bare) : '–',
      `${r.non2xx + r.errors}`,
      int(r.bodyBytes),
    ])
  })
  const t = ds.find((d) => d.throughput)?.throughput
  const latencies = ds.flatMap((d) => {
    const { latency: l, bareLatency: b, bareQueryLatency: q } = d.throughput ?? {}
    const row = (server: string, x: SteadyLatency) => [
      NAMES[d.dialect],
      server,
      int(x.ratePerSecond),
      `${ms(x.p50Ms)} / ${ms(x.p99Ms)}`,
      b && x !== b ? ratio(x.p99Ms / b.p99Ms) : '–',
      int(x.n),
      `${x.errors}`,
    ]
    return [
      ...(l ? [row(THROUGHPUT_SERVERS.large, l)] : []),
      ...(b ? [row(THROUGHPUT_SERVERS.bare, b)] : []),
      ...(q ? [row(THROUGHPUT_SERVERS['bare-query'], q)] : []),
    ]
  })
  const latency = latencies.length
    ? `\n\nThe same GET at a steady rate, open loop, one at a time as they fall due, orgspace and the bare routes taking turns (A B C C B A):\n\n${table(
        ['database', 'server', 'req/s', 'p50 / p99', 'p99 vs bare', 'requests', 'errors'],
        latencies,
      )}`
    : ''
  return `## 4. API throughput: GET /v1/organizations/:slug${t ? ` (${t.connections} connections, ${t.seconds} s each, taking turns with the bare route)` : ''}\n\n${table(
    ['database', 'server', 'req/s', 'p50 / p99', 'vs bare', 'errors', 'body bytes'],
    rows,
  )}${latency}`
}

function scaleSection(ds: DialectResults[]): string {
  const rows = ds.flatMap((d) => {
    const s = d.scale
    if (!s) return [[NAMES[d.dialect], d.errors['11'] ?? 'not run', '', '', '', '', '']]
    const small = s.runs.find((r) => r.database === 'small')?.requestsPerSecond
    return s.runs.map((r) => [
      NAMES[d.dialect],
      `${int(r.organizations)} organizations, ${int(r.memberships)} memberships`,
      int(r.requestsPerSecond),
      `${ms(r.p50Ms)} / ${ms(r.p99Ms)}`,
      small ? ratio(r.requestsPerSecond / small) : '–',
      `${r.errors}`,
      int(r.bodyBytes),
    ])
  })
  const s = ds.find((d) => d.scale)?.scale
  return `## 11. Scale: GET /v1/organizations in a large database${s ? ` (${s.connections} connections, ${s.seconds} s each, taking turns)` : ''}\n\n${table(
    ['database', 'holding', 'req/s', 'p50 / p99', 'vs small', 'errors', 'body bytes'],
    rows,
  )}`
}

function seedingSection(ds: DialectResults[]): string {
  const rows = ds.flatMap((d) =>
    d.seeding.map((s) => [
      NAMES[d.dialect],
      s.label,
      int(s.rows),
      s.seconds === null ? '–' : `${s.seconds.toFixed(2)} s`,
      s.rowsPerSecond === null ? '–' : int(s.rowsPerSecond),
      `${s.wallSeconds.toFixed(2)} s`,
      int(s.wallRowsPerSecond),
    ]),
  )
  return `## 5. Seeding (\`orgspace seed\`)\n\n${table(
    ['database', 'organization', 'rows', 'seeding', 'rows/s', 'whole command', 'rows/s incl. start-up'],
    rows,
  )}`
}

function storageSection(ds: DialectResults[]): string {
  const rows = ds.flatMap((d) => {
    const s = d.storage
    if (!s) return [[NAMES[d.dialect], d.errors['7'] ?? 'not run', '', '', '', '', '', '']]
    return [
      ...s.backends.map((b) => [
        NAMES[d.dialect],
        b.backend === 'file' ? 'filesystem' : 'S3 (s3rver)',
        `${b.upload.mbPerSecond} MB/s (${mb(b.upload.bytes)})`,
        `${b.upload.floor.mbPerSecond} MB/s (${b.upload.floor.kind === 'copy' ? 'copy + flush' : 'SDK Upload'})`,
        percent(b.upload.ratio),
        `${int(b.purge.objectsPerSecond)} objects/s (${int(b.purge.objects)} in ${b.purge.seconds.toFixed(2)} s)`,
        `${int(b.purge.direct.objectsPerSecond)} objects/s`,
        percent(b.purge.ratio),
      ]),
      ...Object.entries(s.skipped).map(([backend, why]) => [
        NAMES[d.dialect],
        backend,
        `skipped: ${why}`,
        '',
        '',
        '',
        '',
        '',
      ]),
    ]
  })
  const cpu = ds.flatMap((d) =>
    (d.storage?.backends ?? [])
      .filter((b) => b.upload.cpu !== undefined)
      .map((b) => {
        const share = (c: CpuShare) =>
          `${c.busyCores} cores busy (server ${c.server} s, ${b.backend === 's3' ? `s3rver ${c.storage} s, ` : ''}client ${c.client} s)`
        return `- ${NAMES[d.dialect]}, ${b.backend === 'file' ? 'filesystem' : 'S3 (s3rver)'}: orgspace's upload ${share(b.upload.cpu.ours)}; the floor ${share(b.upload.cpu.floor)}.`
      }),
  )
  const cpuNote =
    cpu.length > 0
      ? `\n\nCPU during the uploads, every run summed (the machine has ${cpus().length} cores):\n\n${cpu.join('\n')}`
      : ''
  return `## 7. Builds in storage: upload and purge\n\n${table(
    [
      'database',
      'storage',
      'upload',
      'floor: a flushed copy on the same disk, or the SDK’s Upload to the same S3 server',
      'vs floor',
      'purge (DELETE → completed)',
      'removing the objects directly',
      'vs direct',
    ],
    rows,
  )}${cpuNote}`
}

function encryptionSection(ds: DialectResults[]): string {
  const rows = ds.flatMap((d) =>
    (d.storage?.backends ?? []).flatMap((b) => {
      const e = b.encryption
      if (!e) return []
      const idle = e.memory.idleBytes ?? 0
      const above = (peak: number | null) => (peak === null ? 'n/a' : `+${mb(peak - idle)}`)
      return [
        [
          NAMES[d.dialect],
          b.backend === 'file' ? 'filesystem' : 'S3 (s3rver)',
          `${e.write.encryptedMbPerSecond} / ${e.write.plainMbPerSecond} MB/s`,
          percent(e.write.ratio),
          `${e.read.encryptedMbPerSecond} / ${e.read.plainMbPerSecond} MB/s`,
          percent(e.read.ratio),
          `${e.http.uploadMbPerSecond} / ${e.http.downloadMbPerSecond} MB/s`,
          `${mb(idle)}: upload ${above(e.memory.uploadPeakBytes)}, download ${above(e.memory.downloadPeakBytes)}`,
        ],
      ]
    }),
  )
  return `### Encryption at rest (${rows.length > 0 ? 'target: ≥ 80 % of plaintext; within 64 MB of idle' : 'not run'})\n\n${table(
    [
      'database',
      'storage',
      'write: encrypted / plaintext',
      'ratio',
      'read: encrypted / plaintext',
      'ratio',
      'HTTP upload / download (encrypted)',
      'server RSS idle, and above it while streaming',
    ],
    rows,
  )}`
}

function erasureSection(ds: DialectResults[]): string {
  const sqlite = ds.find((d) => d.dialect === 'sqlite')
  if (!sqlite) return '## 8. Erasure at rest (SQLite)\n\nnot run'
  const erasure = sqlite.erasure
  if (!erasure) return `## 8. Erasure at rest (SQLite)\n\n${sqlite.errors['8'] ?? 'not run'}`
  const off = erasure.rowsPerSecond.OFF
  const files = (f: { dbBytes: number; walBytes: number }) => `${mb(f.dbBytes)} + ${mb(f.walBytes)}`
  const rows = erasure.runs.map((r) => [
    r.secureDelete,
    int(r.rows),
    `${r.purgeSeconds.toFixed(2)} s`,
    int(r.rowsPerSecond),
    percent(r.rowsPerSecond / off),
    mb(r.writtenBytes),
    files(r.before),
    files(r.atCompletion),
    `${files(r.afterReclaim)}${r.reclaimSeconds === null ? '' : ` (${r.reclaimSeconds.toFixed(1)} s)`}`,
    `${files(r.afterStop)} (${r.stopSeconds.toFixed(1)} s)`,
  ])
  const modes = (['OFF', 'FAST', 'ON'] as const)
    .map((m) => `${m} ${int(erasure.rowsPerSecond[m])} rows/s (${percent(erasure.rowsPerSecond[m] / off)})`)
    .join(', ')
  const small = erasure.smallPurge
  const stop = `A small organization (${int(small.rows)} rows) purged from the same file: its clean stop rewrote ${mb(small.afterReclaim.dbBytes)} (VACUUM) in ${small.stopSeconds.toFixed(1)} s, leaving ${files(small.afterStop)}.`
  return `## 8. Erasure at rest (SQLite): secure_delete and file sizes\n\nPurge throughput over both runs of each mode: ${modes}. ${stop}\n\n${table(
    [
      'secure_delete',
      'rows purged',
      'purge',
      'rows/s',
      'vs OFF (both runs)',
      'written during purge',
      'file + WAL before',
      'at completion',
      'after reclaim',
      'after clean stop',
    ],
    rows,
  )}`
}

function webhooksSection(ds: DialectResults[]): string {
  const writes = ds.flatMap((d) => {
    const w = d.webhooks
    if (!w) return [[NAMES[d.dialect], d.errors['9'] ?? 'not run', '', '', '', '', '']]
    return (['subscribed', 'none'] as const).map((target) => {
      const s = w.writes[target]
      return [
        NAMES[d.dialect],
        target === 'subscribed'
          ? 'organization with an endpoint subscribed to *'
          : 'organization without endpoints',
        int(s.n),
        ms(s.p50),
        ms(s.p99),
        ms(s.max),
        `${s.errors}`,
      ]
    })
  })
  const delivery = ds.flatMap((d) => {
    const w = d.webhooks
    if (!w) return []
    return [
      [
        NAMES[d.dialect],
        int(w.throughput.events),
        `${w.throughput.seconds.toFixed(2)} s`,
        int(w.throughput.eventsPerSecond),
        `${w.throughput.concurrency}`,
        `${int(w.delivered.received)} / ${int(w.delivered.expected)}`,
      ],
    ]
  })
  const w = ds.find((d) => d.webhooks)?.webhooks
  const heading = w
    ? ` (POST …/apps at ${w.ratePerSecond}/s open-loop, ${w.phaseSeconds} s phases A B B A × ${w.rounds})`
    : ''
  return `## 9. Webhooks${heading}

${table(['database', 'writes into', 'n', 'p50', 'p99', 'max', 'errors'], writes)}

${table(
  [
    'database',
    'events in the outbox',
    'first → last delivery',
    'events/s delivered',
    'in flight',
    'write-phase deliveries received / expected',
  ],
  delivery,
)}`
}

/**
 * BENCHMARKS.md's opening table: every target with the floor it is measured against (in its wording) and the
 * latest ratio, and which run it comes from.
 */
export function renderTargets(results: BenchResults): string {
  const noisy =
    Math.max(results.machine.loadAverage.start, results.machine.loadAverage.end) > results.machine.cpus * 0.5
  return [
    `From the ${results.mode} run of ${results.startedAt.slice(0, 10)} (${Math.round(results.seconds)} s` +
      (noisy ? ', other work running: noisy' : '') +
      '); every figure of that run is under "Latest figures" below.',
    '',
    targetsTable(results),
  ].join('\n')
}

export function renderMarkdown(results: BenchResults): string {
  const m = results.machine
  const header = [
    `# orgspace benchmarks — ${results.mode} run`,
    '',
    `Run ${results.startedAt} → ${results.finishedAt} (${Math.round(results.seconds)} s). ` +
      `Machine: ${m.cpus} × ${m.cpuModel}, ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB RAM, Node ${m.node}, ${m.os}. ` +
      `1-minute load average ${m.loadAverage.start.toFixed(2)} at the start, ${m.loadAverage.end.toFixed(2)} at the end` +
      (Math.max(m.loadAverage.start, m.loadAverage.end) > m.cpus * 0.5
        ? ' — **other work was running: treat the figures as noisy**.'
        : '.'),
    '',
    ...results.dialects.map((d) => `- ${NAMES[d.dialect]}: ${d.database}`),
    ...Object.entries(results.skipped).map(([dialect, why]) => `- ${dialect}: skipped — ${why}`),
    '',
    '## Targets',
    '',
    targetsTable(results),
  ]
  return (
    [
      header.join('\n'),
      deleteSection(results.dialects),
      purgeSection(results.dialects),
      neighbourSection(results.dialects),
      throughputSection(results.dialects),
      seedingSection(results.dialects),
      storageSection(results.dialects),
      encryptionSection(results.dialects),
      ...(results.startup ? [startupSection(results.startup.result, results.startup.error)] : []),
      erasureSection(results.dialects),
      webhooksSection(results.dialects),
      exportImportSection(results.dialects),
      scaleSection(results.dialects),
    ].join('\n\n') + '\n'
  )
}
