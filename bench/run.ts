import { mkdirSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, release, totalmem, type } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import type { Dialect } from '../src/db/connect.js'
import { findPostgresBin } from '../test/support/pg-cluster.js'
import { PLANS } from './plan.js'
import { formatMarkdown, updateBenchmarksDoc } from './docs.js'
import { renderMarkdown } from './report.js'
import type { BenchResults, DialectResults, Machine } from './results.js'
import { runDialect, type ScenarioNumber } from './suite.js'
import { REPO_ROOT } from './server-process.js'
import { postgresStore, sqliteStore, type Store } from './store.js'
import { renderNeighbourSvg } from './svg.js'
import { evaluateTargets } from './targets.js'

// npm run bench [-- --quick] [--dialect sqlite|postgres] [--only 1,3] [--out dir]
// Runs every scenario on SQLite and, when PostgreSQL's binaries are installed, on a throwaway PostgreSQL
// cluster; writes bench/results/latest.{json,md} and neighbour-latency.svg.

const RESULTS_DIR = join(REPO_ROOT, 'bench/results')

function machine(loadAtStart: number): Machine {
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown CPU',
    memoryBytes: totalmem(),
    node: process.version,
    os: `${type()} ${release()}`,
    loadAverage: { start: loadAtStart, end: loadavg()[0] ?? 0 },
  }
}

function parseCli() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      dialect: { type: 'string', multiple: true },
      only: { type: 'string' },
      out: { type: 'string' },
    },
    strict: true,
  })
  const dialects = new Set<Dialect>(
    (values.dialect ?? ['sqlite', 'postgres'])
      .flatMap((d) => d.split(','))
      .map((d) => {
        if (d !== 'sqlite' && d !== 'postgres')
          throw new Error(`--dialect must be sqlite or postgres, got ${d}`)
        return d
      }),
  )
  const only = new Set<ScenarioNumber>(
    (values.only ?? '1,2,3,4,11').split(',').map((n) => {
      const number = Number(n)
      if (number !== 1 && number !== 2 && number !== 3 && number !== 4 && number !== 11)
        throw new Error(`--only takes scenario numbers 1–4 and 11, got ${n}`)
      return number
    }),
  )
  return { plan: PLANS[values.quick ? 'quick' : 'full'], dialects, only, out: values.out }
}

async function main(): Promise<number> {
  const { plan, dialects, only, out } = parseCli()
  const started = performance.now()
  const startedAt = new Date()
  const loadAtStart = loadavg()[0] ?? 0
  const log = (message: string) =>
    process.stderr.write(
      `[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}\n`,
    )

  const results: DialectResults[] = []
  const skipped: Record<string, string> = {}
  let open: Store | undefined
  const abort = () => {
    // Ctrl-C: the PostgreSQL cluster runs detached and would outlive us.
    void (open?.close() ?? Promise.resolve()).finally(() => process.exit(130))
  }
  process.once('SIGINT', abort)
  process.once('SIGTERM', abort)

  for (const dialect of ['sqlite', 'postgres'] as const) {
    if (!dialects.has(dialect)) continue
    if (dialect === 'postgres' && !findPostgresBin()) {
      skipped.postgres = 'PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin or $PG_BIN)'
      log(skipped.postgres)
      continue
    }
    log(`${dialect}: starting (${plan.mode} plan)`)
    const store =
      dialect === 'sqlite'
        ? sqliteStore(join(RESULTS_DIR, 'tmp', `run-${process.pid}`))
        : await postgresStore()
    open = store
    try {
      results.push(await runDialect(store, plan, (m) => log(`${dialect}: ${m}`), only))
    } finally {
      await store.close()
      open = undefined
    }
  }

  const finishedAt = new Date()
  const report: BenchResults = {
    mode: plan.mode,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    seconds: Math.round((performance.now() - started) / 100) / 10,
    machine: machine(loadAtStart),
    plan,
    dialects: results,
    targets: evaluateTargets(results),
    skipped,
  }
  // --out: an exploratory run, written elsewhere, leaving bench/results and BENCHMARKS.md as they are.
  const dir = out ?? RESULTS_DIR
  mkdirSync(dir, { recursive: true })
  const markdown = await formatMarkdown(renderMarkdown(report))
  writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`)
  writeFileSync(join(dir, 'latest.md'), markdown)
  writeFileSync(join(dir, 'neighbour-latency.svg'), renderNeighbourSvg(results))
  const documented = out === undefined && updateBenchmarksDoc(markdown)
  process.stdout.write(markdown)
  log(
    `wrote ${dir}/latest.json, latest.md, neighbour-latency.svg${documented ? ' and the figures in BENCHMARKS.md' : ''} in ${report.seconds} s`,
  )
  return results.some((r) => Object.keys(r.errors).length > 0) ? 1 : 0
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    )
    process.exit(1)
  },
)
