import { execFile } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, release, totalmem, type } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs, promisify } from 'node:util'
import type { Dialect } from '../src/db/connect.js'
import { findPostgresBin } from '../test/support/pg-cluster.js'
import { PLANS } from './plan.js'
import { formatMarkdown, updateBenchmarksDoc } from './docs.js'
import { renderMarkdown, renderTargets } from './report.js'
import type { BenchResults, DialectResults, Machine } from './results.js'
import { runStartup, startupTargets, type StartupResult } from './scenarios/startup.js'
import { PER_DATABASE, runDialect, type ScenarioNumber } from './suite.js'
import { REPO_ROOT } from './server-process.js'
import { postgresStore, sqliteStore, type Store } from './store.js'
import { renderNeighbourSvg } from './svg.js'
import { evaluateTargets } from './targets.js'

// npm run bench [-- --quick] [--dialect sqlite|postgres] [--only 1,3,7] [--out dir]
// Runs the per-database scenarios on SQLite and, when PostgreSQL's binaries are installed, on a throwaway
// PostgreSQL cluster, then scenario 6 (start-up) once; writes bench/results/latest.{json,md} and
// neighbour-latency.svg.

const RESULTS_DIR = join(REPO_ROOT, 'bench/results')

/** Every scenario: those run per database (suite.ts), and 6, start-up, run once. */
const SCENARIOS: ReadonlyArray<ScenarioNumber | 6> = [...PER_DATABASE, 6]

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
  const only = new Set<ScenarioNumber | 6>(
    (values.only ?? SCENARIOS.join(',')).split(',').map((n) => {
      const number = SCENARIOS.find((s) => s === Number(n))
      if (number === undefined)
        throw new Error(`--only takes scenario numbers ${SCENARIOS.join(', ')}, got ${n}`)
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

  // What runs is the compiled service, as `npm start` runs it: built from the source being measured.
  log('npm run build:server')
  await promisify(execFile)('npm', ['run', 'build:server'], { cwd: REPO_ROOT })

  const perDialect = new Set([...only].filter((n): n is ScenarioNumber => n !== 6))
  for (const dialect of ['sqlite', 'postgres'] as const) {
    if (!dialects.has(dialect) || perDialect.size === 0) continue
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
      results.push(await runDialect(store, plan, (m) => log(`${dialect}: ${m}`), perDialect))
    } finally {
      await store.close()
      open = undefined
    }
  }

  let startup: StartupResult | undefined
  let startupError: string | undefined
  if (only.has(6)) {
    try {
      startup = await runStartup(plan.startupSamples, log)
    } catch (error) {
      startupError = (error instanceof Error ? error.message : String(error)).split('\n')[0]
      log(`scenario 6 failed: ${startupError}`)
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
    targets: [...evaluateTargets(results), ...(only.has(6) ? startupTargets(startup, startupError) : [])],
    skipped,
    ...(only.has(6) ? { startup: { result: startup, error: startupError } } : {}),
  }
  // --out: an exploratory run, written elsewhere, leaving bench/results and BENCHMARKS.md as they are.
  const dir = out ?? RESULTS_DIR
  mkdirSync(dir, { recursive: true })
  const markdown = await formatMarkdown(renderMarkdown(report))
  writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`)
  writeFileSync(join(dir, 'latest.md'), markdown)
  writeFileSync(join(dir, 'neighbour-latency.svg'), renderNeighbourSvg(results))
  const documented =
    out === undefined && updateBenchmarksDoc(markdown, await formatMarkdown(renderTargets(report)))
  process.stdout.write(markdown)
  log(
    `wrote ${dir}/latest.json, latest.md, neighbour-latency.svg${documented ? ' and the figures in BENCHMARKS.md' : ''} in ${report.seconds} s`,
  )
  return results.some((r) => Object.keys(r.errors).length > 0) || startupError ? 1 : 0
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
