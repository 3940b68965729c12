import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))

export interface RunOptions {
  /** Before the script; tsx by default, to run TypeScript. */
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
 * Starts `node --import tsx <script> …args` from the repository root with `env` added to this process's
 * (other node arguments and folder with `options`).
 */
export function startNode(
  script: string,
  args: string[],
  env: Record<string, string>,
  { nodeArgs = ['--import', 'tsx'], cwd = ROOT }: Pick<RunOptions, 'nodeArgs' | 'cwd'> = {},
): Child {
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
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

/** Runs `node [nodeArgs…] <script> …args` to its end, stdout and stderr apart. */
export async function runNode(
  script: string,
  args: string[],
  env: Record<string, string>,
  { nodeArgs = ['--import', 'tsx'], cwd = ROOT, prefix = [] }: RunOptions = {},
): Promise<Run> {
  const [command = process.execPath, ...before] = [...prefix, process.execPath]
  const child = spawn(command, [...before, ...nodeArgs, script, ...args], {
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

/** Starts the real server (`src/server.ts`) on a free port and resolves with its base URL once it listens. */
export async function startServer(env: Record<string, string>): Promise<Child & { url: string }> {
  const child = startNode('src/server.ts', [], { PORT: '0', LOG_LEVEL: 'info', ...env })
  const url = await waitFor(
    () => /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(child.output())?.[1],
    // tsx compiles the server first: seconds on an idle machine, far more when two test files run beside it.
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
