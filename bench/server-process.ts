import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '../test/support/pg-cluster.js'
import { sleep } from './stats.js'

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url))

/** What runs in the child: the real service, the in-request cascade baseline, or a bare Fastify route. */
export type ServerKind = 'orgspace' | 'baseline' | 'bare'

/**
 * The compiled service the benchmark runs (`orgspace serve`, `orgspace seed`, …), as `npm start` and `npx orgspace`
 * run it: dist/, which `npm run bench` builds from the current source first (bench/run.ts), or the folder named by
 * ORGSPACE_BUILD (the harness's smoke test uses the test run's build).
 */
export function orgspaceCommand(...args: string[]): string[] {
  return [join(process.env.ORGSPACE_BUILD ?? join(REPO_ROOT, 'dist'), 'cli.js'), ...args]
}

/** The baselines are TypeScript files of the benchmark's own, run through tsx. */
const COMMANDS: Record<ServerKind, () => string[]> = {
  orgspace: () => orgspaceCommand('serve'),
  baseline: () => ['--import', 'tsx', 'bench/baseline/cascade-server.ts'],
  bare: () => ['--import', 'tsx', 'bench/baseline/bare-server.ts'],
}

export interface ServerProcess {
  kind: ServerKind
  pid: number
  baseUrl: string
  /** Resident set size of the child now, in bytes (Linux /proc); null where that cannot be read. */
  rssBytes(): number | null
  /** The child's stdout/stderr so far (the tail), for error messages. */
  output(): string
  stop(): Promise<void>
}

// Every child gets the same settings: logging at warn (logging each request would dominate what is measured)
// and rate limits off (600 requests a minute per token would turn most benchmark requests into 429s).
const COMMON_ENV = { HOST: '127.0.0.1', LOG_LEVEL: 'warn', RATE_LIMIT: 'off' }

export function readRss(pid: number): number | null {
  try {
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match?.[1] ? Number(match[1]) * 1024 : null
  } catch {
    return null
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc (clock ticks of 1/100 s); null if gone. */
export function readCpuSeconds(pid: number): number | null {
  try {
    // The fields after the command name, which is in parentheses and may hold spaces: utime and stime are 14th and 15th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return null
  }
}

/** Starts a server (COMMANDS) on a free port, and waits until it is ready. */
export async function startServer(kind: ServerKind, env: Record<string, string>): Promise<ServerProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(kind, env, await freePort())
    } catch (error) {
      // The port was free when picked, but another process may take it before the child binds it.
      if (attempt >= 3 || !(error instanceof PortTaken)) throw error
    }
  }
}

class PortTaken extends Error {}

/**
 * A deletion ledger of each database's own. Scenarios copy one seeded database into many; with one ledger
 * between them, a deletion in one copy would be replayed in the next copy a server starts on (as after a backup
 * restore), and the project's own data/ledger would fill with the benchmark's tombstones.
 */
export function ledgerOf(env: Record<string, string>): Record<string, string> {
  const url = env.DATABASE_URL ?? process.env.DATABASE_URL ?? ''
  const id = createHash('sha256').update(url).digest('hex').slice(0, 16)
  return { LEDGER_URL: `file:${join(tmpdir(), `orgspace-bench-ledger-${id}`)}` }
}

/**
 * With BENCH_CPU_PROFILE=<dir>, every server child writes a V8 CPU profile of its whole run there when it stops
 * (open one in Chrome's DevTools): how a request's time divides between orgspace, Fastify and the drivers, beside
 * the same division in the bare route's.
 */
function profileFlags(): string[] {
  const dir = process.env.BENCH_CPU_PROFILE
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : []
}

async function startOnce(
  kind: ServerKind,
  env: Record<string, string>,
  port: number,
): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...profileFlags(), ...COMMANDS[kind]()], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...COMMON_ENV, ...ledgerOf(env), ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-8_000)
  }
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  let alive = true
  void exited.then(() => {
    alive = false
  })
  const pid = child.pid
  if (pid === undefined) throw new Error(`could not start the ${kind} server`)
  const baseUrl = `http://127.0.0.1:${port}`

  const stop = async () => {
    if (!alive) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
    await exited
    clearTimeout(timer)
  }

  const deadline = Date.now() + 120_000
  for (;;) {
    if (!alive) {
      const message = `${kind} server exited before it was ready:\n${output}`
      throw output.includes('EADDRINUSE') ? new PortTaken(message) : new Error(message)
    }
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`${kind} server not ready after 120 s:\n${output}`)
    }
    const ready = await fetch(`${baseUrl}${kind === 'bare' ? '/healthz' : '/readyz'}`).then(
      (r) => r.ok,
      () => false,
    )
    if (ready) break
    await sleep(50)
  }
  return { kind, pid, baseUrl, rssBytes: () => readRss(pid), output: () => output, stop }
}

/** Samples a process's RSS every `everyMs` until stopped; returns the samples' peak and the first value. */
export function sampleRss(pid: number, everyMs = 50) {
  const first = readRss(pid)
  let peak = first
  const timer = setInterval(() => {
    const rss = readRss(pid)
    if (rss !== null && (peak === null || rss > peak)) peak = rss
  }, everyMs)
  return {
    first,
    stop(): number | null {
      clearInterval(timer)
      const rss = readRss(pid)
      if (rss !== null && (peak === null || rss > peak)) peak = rss
      return peak
    },
  }
}
