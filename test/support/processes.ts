import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { inject } from 'vitest'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/**
 * What node runs for `script`: the command line and the server run compiled, from this run's build
 * (test/global-build.ts), as `npm start` and `npx orgspace` run them; anything else, or a caller passing node
 * arguments of its own, runs as asked (TypeScript through tsx).
 */
function command(script: string, args: string[], nodeArgs: string[] | undefined): string[] {
  if (nodeArgs !== undefined) return [...nodeArgs, script, ...args]
  const build = inject('serverBuild')
  if (script === 'src/cli.ts') return [join(build, 'cli.js'), ...args]
  if (script === 'src/server.ts') return [join(build, 'cli.js'), 'serve', ...args]
  return ['--import', 'tsx', script, ...args]
}

export interface RunOptions {
  /** Before the script; without them, see `command`. */
  nodeArgs?: string[]
  /** The repository root by default. */
  cwd?: string
  /** A command that runs node, e.g. ['setpriv', …]. */
  prefix?: string[]
}

export interface Child {
  process: ChildProcess
  output(): string
  /** Resolves when the process has exited. */
  exited: Promise<unknown>
}

// Children still running when a test times out would outlive the run (a server keeps its port and its
// database busy): every child is remembered and killed when the test process exits.
const live = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})

/**
 * Starts `node <script> …args` (see `command`) from the repository root with `env` added to this process's
 * (other node arguments and folder with `options`).
 */
export function startNode(
  script: string,
  args: string[],
  env: Record<string, string>,
  { nodeArgs, cwd = ROOT }: Pick<RunOptions, 'nodeArgs' | 'cwd'> = {},
): Child {
  const child = spawn(process.execPath, command(script, args, nodeArgs), {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  live.add(child)
  child.once('exit', () => live.delete(child))
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  return { process: child, output: () => output, exited: once(child, 'exit') }
}

export interface Run {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Runs `node <script> …args` (see `command`) to its end, stdout and stderr apart. */
export async function runNode(
  script: string,
  args: string[],
  env: Record<string, string>,
  { nodeArgs, cwd = ROOT, prefix = [] }: RunOptions = {},
): Promise<Run> {
  const [executable = process.execPath, ...before] = [...prefix, process.execPath]
  const child = spawn(executable, [...before, ...command(script, args, nodeArgs)], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  live.add(child)
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null]
  live.delete(child)
  return { code, signal, stdout, stderr }
}

/** Starts the real server (`orgspace serve`) on a free port and resolves with its base URL once it listens. */
export async function startServer(env: Record<string, string>): Promise<Child & { url: string }> {
  const child = startNode('src/server.ts', [], { PORT: '0', LOG_LEVEL: 'info', ...env })
  const url = await waitFor(
    () => /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(child.output())?.[1],
    // Seconds when two test files run beside it on a busy machine.
    90_000,
    () => child.output(),
  )
  return { ...child, url }
}

/** Polls `probe` until it returns a value (not undefined/false), or fails after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  describe?: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms${describe ? `:\n${describe()}` : ''}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

export async function kill(child: Child, signal: NodeJS.Signals): Promise<void> {
  if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill(signal)
  await child.exited
}
