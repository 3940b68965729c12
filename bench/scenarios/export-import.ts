import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCommand, type CommandRun } from '../cli-process.js'
import { OWNER, type DialectContext } from '../context.js'
import { int, mb, ratio } from '../format.js'
import { shortCount } from '../plan.js'
import type { DialectResults, TargetLine } from '../results.js'
import { round } from '../stats.js'

// Scenario 10 — `orgspace export` and `orgspace import` of the large organization (scenario 2's size), against
// `orgspace seed` of the same organization in the same run: rows/s and peak RSS of each command's process. Memory
// growth is the command's peak RSS on the large organization minus its peak RSS on an empty one — the same
// command, database and start-up with nothing to carry — so Node, tsx, the modules and the database connection
// cancel out, and what remains is what grows with the organization. Seed, export and import are measured alike.

export type CommandName = 'seed' | 'export' | 'import'

export interface CommandFigures {
  /** Rows written (seed, import) or records read into the archive (export), as the command counts them. */
  rows: number
  /** Wall time of the whole command, Node's start-up and the migration check included. */
  seconds: number
  rowsPerSecond: number
  /**
   * Rows over the whole command less the empty organization's (start-up, migration check and fixed costs):
   * null when the difference is not positive, as it can be for tiny sizes on a busy machine.
   */
  netRowsPerSecond: number | null
  peakRssBytes: number | null
  /** The same command on an empty organization. */
  empty: { seconds: number; peakRssBytes: number | null }
  /** peakRssBytes − empty.peakRssBytes. */
  growthBytes: number | null
}

export interface ExportImportResult {
  devices: number
  audit: number
  archiveBytes: number
  seed: CommandFigures
  export: CommandFigures
  import: CommandFigures
}

const LARGE = 'export-large'
const EMPTY = 'export-empty'

function figures(rows: number, large: CommandRun, empty: CommandRun): CommandFigures {
  const growth =
    large.peakRssBytes !== null && empty.peakRssBytes !== null
      ? large.peakRssBytes - empty.peakRssBytes
      : null
  const net = large.seconds - empty.seconds
  return {
    rows,
    seconds: round(large.seconds, 3),
    rowsPerSecond: Math.round(rows / large.seconds),
    netRowsPerSecond: net > 0 ? Math.round(rows / net) : null,
    peakRssBytes: large.peakRssBytes,
    empty: { seconds: round(empty.seconds, 3), peakRssBytes: empty.peakRssBytes },
    growthBytes: growth,
  }
}

/** A number from a command's summary line on stderr. */
function reported(run: CommandRun, pattern: RegExp, what: string): number {
  const match = pattern.exec(run.stderr)
  if (!match?.[1]) throw new Error(`${what}: no summary in its output: ${run.stderr.trim().slice(-500)}`)
  return Number(match[1].replace(/,/g, ''))
}

export async function runExportImport(context: DialectContext): Promise<ExportImportResult> {
  const { store, plan } = context
  const { devices, audit } = plan.large
  const size = `${shortCount(devices)} devices + ${shortCount(audit)} audit`
  const dir = mkdtempSync(join(tmpdir(), 'orgspace-bench-export-'))
  const measured = async (url: string, args: string[]) => {
    await store.settle()
    return runCommand(args, { DATABASE_URL: url, STORAGE_URL: `file:${join(dir, 'storage')}` })
  }
  try {
    const source = await store.create('t_export')
    context.log(`export/import: seeding an empty organization and ${size} (the baseline)`)
    const seed = (slug: string, n: { devices: number; audit: number }) =>
      measured(source, [
        'seed',
        ...['--owner', OWNER, '--slug', slug],
        ...['--devices', String(n.devices), '--audit', String(n.audit)],
      ])
    const seedEmpty = await seed(EMPTY, { devices: 0, audit: 0 })
    const seedLarge = await seed(LARGE, { devices, audit })
    const seeded = reported(seedLarge, /([\d,]+) rows in /, 'orgspace seed')
    await store.seal('t_export')

    context.log('export/import: exporting both organizations')
    const archive = (slug: string) => join(dir, `${slug}.tar.gz`)
    const exportEmpty = await measured(source, ['export', EMPTY, '--out', archive(EMPTY)])
    const exportLarge = await measured(source, ['export', LARGE, '--out', archive(LARGE)])
    const records = reported(exportLarge, /exported ([\d,]+) records/, 'orgspace export')

    // Into a database of its own, as empty as the one seed wrote into.
    const target = await store.create('t_import')
    context.log('export/import: importing both archives into an empty database')
    const importArchive = async (slug: string) => {
      const run = await measured(target, ['import', archive(slug), '--owner', OWNER, '--slug', slug])
      if (!/^[0-9a-f]{24}$/.test(run.stdout.trim()))
        throw new Error(`orgspace import printed ${JSON.stringify(run.stdout)}: ${run.stderr}`)
      return run
    }
    const importEmpty = await importArchive(EMPTY)
    const importLarge = await importArchive(LARGE)

    return {
      devices,
      audit,
      archiveBytes: statSync(archive(LARGE)).size,
      seed: figures(seeded, seedLarge, seedEmpty),
      export: figures(records, exportLarge, exportEmpty),
      import: figures(records, importLarge, importEmpty),
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const RSS_GROWTH_LIMIT_BYTES = 100 * 1024 * 1024
const NAMES = { sqlite: 'SQLite', postgres: 'PostgreSQL' } as const

/** 10a and 10b: each command's RSS growth; their detail also gives rows/s against seed's. */
export function exportImportTargets(d: DialectResults): TargetLine[] {
  const r = d.exportImport
  const size = r
    ? `${shortCount(r.devices)} devices + ${shortCount(r.audit)} audit`
    : 'the large organization'
  const memory = (['export', 'import'] as const).map((command, i): TargetLine => {
    const id = `10${'ab'[i] ?? ''}`
    const target = `${command} of ${size}: RSS growth over an empty organization's ≤ ${mb(RSS_GROWTH_LIMIT_BYTES)}`
    const figures = r?.[command]
    if (!r || !figures)
      return { id, dialect: d.dialect, target, met: null, detail: d.errors['10'] ?? 'scenario not run' }
    const speed = `${int(figures.rowsPerSecond)} rows/s, ${ratio(figures.rowsPerSecond / r.seed.rowsPerSecond)} seed's ${int(r.seed.rowsPerSecond)}`
    const growth = figures.growthBytes
    if (growth === null)
      return {
        id,
        dialect: d.dialect,
        target,
        met: null,
        detail: `RSS not readable on this platform; ${speed}`,
      }
    const met = growth <= RSS_GROWTH_LIMIT_BYTES
    const by = mb(Math.abs(RSS_GROWTH_LIMIT_BYTES - growth))
    return {
      id,
      dialect: d.dialect,
      target,
      met,
      detail: `+${mb(growth)} (${mb(figures.empty.peakRssBytes)} → ${mb(figures.peakRssBytes)}); ${met ? `${by} to spare` : `missed by ${by}`}; ${speed}`,
    }
  })
  return [...memory, importSpeedTarget(d)]
}

/** Import rows/s against seed's of the same rows, whole commands, same run and database. */
const IMPORT_VS_SEED = 0.7

function importSpeedTarget(d: DialectResults): TargetLine {
  const r = d.exportImport
  const target = `import rows/s ≥ ${ratio(IMPORT_VS_SEED)} \`orgspace seed\`'s of the same rows (whole commands)`
  if (!r)
    return { id: '10c', dialect: d.dialect, target, met: null, detail: d.errors['10'] ?? 'scenario not run' }
  const ours = r.import.rowsPerSecond / r.seed.rowsPerSecond
  const met = ours >= IMPORT_VS_SEED
  return {
    id: '10c',
    dialect: d.dialect,
    target,
    met,
    detail: `${ratio(ours)} (${int(r.import.rowsPerSecond)} vs ${int(r.seed.rowsPerSecond)} rows/s; ${r.import.seconds} s vs ${r.seed.seconds} s); ${met ? `${ratio(ours - IMPORT_VS_SEED)} to spare` : `missed by ${ratio(IMPORT_VS_SEED - ours)}`}`,
  }
}

export function exportImportSection(ds: readonly DialectResults[]): string {
  const rows = ds.flatMap((d) => {
    const r = d.exportImport
    if (!r) return [`| ${NAMES[d.dialect]} | ${d.errors['10'] ?? 'not run'} | | | | | | | | |`]
    return (['seed', 'export', 'import'] as const).map((command) => {
      const f = r[command]
      const cells = [
        NAMES[d.dialect],
        command === 'export' ? `export (archive ${mb(r.archiveBytes)})` : command,
        int(f.rows),
        `${f.seconds.toFixed(2)} s`,
        int(f.rowsPerSecond),
        ratio(f.rowsPerSecond / r.seed.rowsPerSecond),
        f.netRowsPerSecond === null ? '–' : int(f.netRowsPerSecond),
        mb(f.peakRssBytes),
        `${mb(f.empty.peakRssBytes)} (${f.empty.seconds.toFixed(2)} s)`,
        f.growthBytes === null ? '–' : `+${mb(f.growthBytes)}`,
      ]
      return `| ${cells.join(' | ')} |`
    })
  })
  const r = ds.find((d) => d.exportImport)?.exportImport
  const size = r ? ` of ${shortCount(r.devices)} devices + ${shortCount(r.audit)} audit events` : ''
  return [
    `## 10. Export and import${size}, against \`orgspace seed\``,
    '',
    'Whole commands, start-up included (“less start-up”: less the same command’s time on an empty organization). Peak RSS is the process’s high-water mark; growth is over the same command on an empty organization.',
    '',
    '| database | command | rows | whole command | rows/s | vs seed | rows/s less start-up | peak RSS | empty organization | RSS growth |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n')
}
