import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { ledgerOf, orgspaceCommand, REPO_ROOT } from './server-process.js'

// One run of the real command line (`orgspace <command>`, compiled like the servers), timed, with its peak
// resident set size.

export interface CommandRun {
  stdout: string
  stderr: string
  /** Wall time of the whole command, process start and migration check included. */
  seconds: number
  /**
   * The process's peak RSS: the kernel's high-water mark (VmHWM in /proc/<pid>/status), read every 20 ms until the
   * process exits; null where /proc cannot be read. Being a high-water mark, a short peak between two reads still
   * counts; only growth in the last 20 ms before exit could be missed.
   */
  peakRssBytes: number | null
}

function readHighWaterMark(pid: number): number | null {
  try {
    const match = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match?.[1] ? Number(match[1]) * 1024 : null
  } catch {
    return null
  }
}

/** Runs `orgspace ...args` (compiled, see orgspaceCommand); rejects with its stderr when it exits with a non-zero code. */
export function runCommand(args: readonly string[], env: Record<string, string>): Promise<CommandRun> {
  const started = performance.now()
  const child = spawn(process.execPath, orgspaceCommand(...args), {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...ledgerOf(env), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const pid = child.pid
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')))
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-16_000)
  })
  let peak: number | null = null
  const poll = () => {
    const hwm = pid === undefined ? null : readHighWaterMark(pid)
    if (hwm !== null && (peak === null || hwm > peak)) peak = hwm
  }
  poll()
  const timer = setInterval(poll, 20)
  return new Promise((resolve, reject) => {
    child.once('error', (error) => {
      clearInterval(timer)
      reject(error)
    })
    child.once('close', (code) => {
      clearInterval(timer)
      const seconds = (performance.now() - started) / 1000
      if (code !== 0) {
        reject(new Error(`orgspace ${args[0] ?? ''} exited with ${String(code)}: ${stderr.trim()}`))
        return
      }
      resolve({ stdout, stderr, seconds, peakRssBytes: peak })
    })
  })
}
