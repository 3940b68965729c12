import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { freePort } from '../../test/support/pg-cluster.js'
import { ms } from '../format.js'
import type { TargetLine } from '../results.js'
import { REPO_ROOT } from '../server-process.js'
import { sleep, summarize, type Summary } from '../stats.js'

// Scenario 6 — start-up and the command line, timed the way a user meets them: `npm start` until /healthz answers,
// and whole `npx orgspace …` commands. Each is shown beside its floor, measured in the same rounds: node starting
// a bare HTTP server, and npx starting node with nothing to do. SQLite, the default database.

export interface StartupRow {
  id: string
  label: string
  command: string
  summary: Summary
  /** What the target allows, in ms; null for the floors. */
  targetMs: number | null
}

export interface StartupResult {
  samples: number
  rows: StartupRow[]
}

const DATABASE = 'orgspace.db'

interface Subject {
  id: string
  label: string
  command: string
  targetMs: number | null
  /** The target is this many ms over the median of the floor with this id, measured in the same rounds. */
  overFloor?: { id: string; ms: number }
  run(env: Record<string, string>): Promise<number>
}

/** Runs `command` to completion and returns its wall time; a failure is an error, not a figure. */
function timeCommand(command: string, args: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(command, args, { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: 'pipe' })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.once('error', reject)
    child.once('exit', (code) => {
      const elapsed = performance.now() - started
      if (code === 0) resolve(elapsed)
      else reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${output.slice(-2_000)}`))
    })
  })
}

/**
 * Starts `command` in a process group of its own, times it until `url` answers 200, then stops the whole group
 * (`npm start` runs the server in a child of its own).
 */
async function timeUntilAnswering(
  command: string,
  args: string[],
  env: Record<string, string>,
  path: string,
): Promise<number> {
  const port = await freePort()
  const started = performance.now()
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise((resolve) => child.once('exit', resolve))
  let alive = true
  void exited.then(() => (alive = false))
  const pid = child.pid
  if (pid === undefined) throw new Error(`could not start ${command}`)
  try {
    for (;;) {
      if (!alive) throw new Error(`${command} ${args.join(' ')} exited before answering:\n${output}`)
      if (performance.now() - started > 60_000) throw new Error(`${command} not answering after 60 s`)
      const ok = await fetch(`http://127.0.0.1:${port}${path}`).then(
        (r) => r.ok,
        () => false,
      )
      if (ok) return performance.now() - started
      await sleep(5)
    }
  } finally {
    process.kill(-pid, 'SIGTERM')
    const timer = setTimeout(() => alive && process.kill(-pid, 'SIGKILL'), 20_000)
    await exited
    clearTimeout(timer)
  }
}

const BARE_SERVER =
  "require('node:http').createServer((q, s) => s.end('ok')).listen(Number(process.env.PORT), '127.0.0.1')"

const SUBJECTS: Subject[] = [
  {
    id: '6a',
    label: '`npm start` → /healthz answers',
    command: 'npm start',
    targetMs: 1_000,
    run: (env) => timeUntilAnswering('npm', ['start', '--silent'], env, '/healthz'),
  },
  {
    id: 'floor',
    label: 'floor: node serving a bare HTTP server',
    command: 'node -e "http.createServer…"',
    targetMs: null,
    run: (env) => timeUntilAnswering(process.execPath, ['-e', BARE_SERVER], env, '/'),
  },
  {
    id: '6b',
    label: '`npx orgspace --help`',
    command: 'npx orgspace --help',
    targetMs: 500,
    overFloor: { id: 'floor-npx', ms: 100 },
    run: (env) => timeCommand('npx', ['orgspace', '--help'], env),
  },
  {
    id: '6c',
    label: '`npx orgspace user create`',
    command: 'npx orgspace user create --email …',
    targetMs: 1_000,
    run: (env) => timeCommand('npx', ['orgspace', 'user', 'create', '--email', 'bench@startup.test'], env),
  },
  {
    id: 'floor-npx',
    label: 'floor: npx running node with nothing to do',
    command: 'npx --no-install node -e 0',
    targetMs: null,
    run: (env) => timeCommand('npx', ['--no-install', 'node', '-e', '0'], env),
  },
]

/**
 * Builds dist/, then `samples` rounds, each running every subject once (so a machine getting busier weighs on all of them alike),
 * after one unmeasured round that creates and migrates the database and warms the file cache.
 */
export async function runStartup(samples: number, log: (message: string) => void): Promise<StartupResult> {
  // What is timed is the compiled service: build it from the source being measured.
  log('start-up: npm run build:server')
  await timeCommand('npm', ['run', 'build:server'], {})
  const dir = mkdtempSync(join(tmpdir(), 'orgspace-bench-startup-'))
  const env = { DATABASE_URL: `sqlite:${join(dir, DATABASE)}` }
  const times = SUBJECTS.map(() => [] as number[])
  try {
    for (let round = 0; round <= samples; round++) {
      for (const [i, subject] of SUBJECTS.entries()) {
        const elapsed = await subject.run(env)
        if (round > 0) times[i]?.push(elapsed)
      }
      log(`start-up: round ${round}/${samples}`)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return {
    samples,
    rows: SUBJECTS.map((s, i) => ({
      id: s.id,
      label: s.label,
      command: s.command,
      targetMs: s.targetMs,
      summary: summarize(times[i] ?? []),
    })),
  }
}

export function startupTargets(result: StartupResult | undefined, error?: string): TargetLine[] {
  return SUBJECTS.filter((s) => s.targetMs !== null).map((s) => {
    const row = result?.rows.find((r) => r.id === s.id)
    const floor = s.overFloor && result?.rows.find((r) => r.id === s.overFloor?.id)
    const target = s.overFloor
      ? `${s.label} ≤ npx alone + ${ms(s.overFloor.ms)} (medians, same rounds)`
      : `${s.label} ≤ ${ms(s.targetMs ?? 0)} (median)`
    if (!row || s.targetMs === null || (s.overFloor && !floor))
      return { id: s.id, dialect: 'sqlite', target, met: null, detail: error ?? 'scenario not run' }
    const limit = floor && s.overFloor ? floor.summary.p50 + s.overFloor.ms : s.targetMs
    const met = row.summary.p50 <= limit
    const by = ms(Math.abs(limit - row.summary.p50))
    const over = floor
      ? `, npx alone ${ms(floor.summary.p50)}: +${ms(row.summary.p50 - floor.summary.p50)}`
      : ''
    return {
      id: s.id,
      dialect: 'sqlite',
      target,
      met,
      detail: `${ms(row.summary.p50)} (max ${ms(row.summary.max)})${over}; ${met ? `${by} to spare` : `missed by ${by}`}`,
    }
  })
}

function targetText(row: StartupRow): string {
  const over = SUBJECTS.find((s) => s.id === row.id)?.overFloor
  if (over) return `≤ npx alone + ${ms(over.ms)}`
  return row.targetMs === null ? '–' : `≤ ${ms(row.targetMs)}`
}

export function startupSection(result: StartupResult | undefined, error?: string): string {
  const heading = '## 6. Start-up and the command line (SQLite)'
  if (!result) return `${heading}\n\n${error ?? 'not run'}`
  const rows = result.rows.map(
    (r) => `| ${r.label} | ${ms(r.summary.p50)} | ${ms(r.summary.max)} | ${targetText(r)} |`,
  )
  return [
    heading,
    '',
    `${result.samples} rounds; every round runs each command once, in this order.`,
    '',
    '| what | median | max | target |',
    '|---|---|---|---|',
    ...rows,
  ].join('\n')
}
