import { accessSync, constants, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { ConfigError, loadConfig } from './config.js'
import { MigrationError } from './db/migrate.js'

// A process that cannot start says why in one line an operator can act on — the cause and the variable to
// change — rather than a stack trace: `orgspace: cannot listen on 127.0.0.1:8080: address in use (set PORT)`.
// The server and every command share this. Errors nobody foresaw keep their stack: they are bugs to report.

/** A start-up failure whose cause is known, naming the setting to change. Throw it where the cause is known. */
export class StartupError extends Error {
  constructor(
    message: string,
    readonly variable: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
    this.name = 'StartupError'
  }
}

interface SystemError extends Error {
  code?: string
  syscall?: string
  address?: string
  port?: number
  hostname?: string
  path?: string
}

const REASONS: Record<string, string> = {
  EADDRINUSE: 'address in use',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EADDRNOTAVAIL: 'address not available on this machine',
  ENOTFOUND: 'unknown host',
  EAI_AGAIN: 'host name lookup failed',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTDIR: 'a part of the path is not a directory',
  EEXIST: 'a part of the path is a file, not a directory',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
}

const reason = (error: SystemError) => (error.code && REASONS[error.code]) ?? error.message

/** Why `app.listen()` failed: the port's fault (PORT) or the address's (HOST). */
export function listenError(error: unknown, host: string, port: number): unknown {
  const e = error as SystemError
  if (typeof e?.code !== 'string') return error
  const hostsFault = ['EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN'].includes(e.code)
  const portsFault = ['EADDRINUSE', 'EACCES', 'EPERM'].includes(e.code)
  if (!hostsFault && !portsFault) return error
  return new StartupError(`cannot listen on ${host}:${port}: ${reason(e)}`, hostsFault ? 'HOST' : 'PORT', {
    cause: error,
  })
}

/** A server the process connects to at start, from its setting. */
interface Service {
  name: string
  variable: 'DATABASE_URL' | 'REDIS_URL'
  host: string
  port: string
  /** host:port/path: enough to find the server, without the password. */
  target: string
}

function service(name: string, variable: Service['variable'], url: string, defaultPort: string): Service[] {
  try {
    const u = new URL(url)
    const port = u.port || defaultPort
    return [{ name, variable, host: u.hostname, port, target: `${u.hostname}:${port}${u.pathname}` }]
  } catch {
    return []
  }
}

/** The settings a start-up error is explained with (the process's, once they are valid). */
interface Settings {
  DATABASE_URL?: string
  REDIS_URL?: string
}

function servicesOf(settings: Settings): Service[] {
  const url = settings.DATABASE_URL ?? ''
  return [
    ...(/^postgres(ql)?:/.test(url) ? service('PostgreSQL', 'DATABASE_URL', url, '5432') : []),
    ...(settings.REDIS_URL ? service('Redis', 'REDIS_URL', settings.REDIS_URL, '6379') : []),
  ]
}

/** A socket that could not connect or resolve: whose server it was, by port or host name, and why. */
function connectionProblem(
  error: SystemError & { errors?: SystemError[] },
  services: Service[],
): string | null {
  // Connecting to "localhost" tries each of its addresses: Node reports them together, in `errors`.
  const first = error.errors?.[0] ?? error
  if (!['connect', 'getaddrinfo'].includes(first.syscall ?? '') && error.code !== 'ECONNREFUSED') return null
  const candidates = services.filter((s) =>
    first.port !== undefined
      ? String(first.port) === s.port
      : first.hostname === undefined || first.hostname === s.host,
  )
  const [found] = candidates
  if (!found || candidates.length > 1) return null
  return `cannot connect to ${found.name} at ${found.target}: ${reason(error.code ? error : first)} (set ${found.variable})`
}

const sqlitePathOf = (url: string) => url.replace(/^sqlite:(\/\/)?/, '')

/** What is wrong with a SQLite path that SQLite would only call "unable to open database file". */
function sqliteCause(path: string): string {
  try {
    if (statSync(path).isDirectory()) return 'it is a directory'
    accessSync(path, constants.R_OK | constants.W_OK)
  } catch (error) {
    const code = (error as SystemError).code
    if (code === 'EACCES' || code === 'EPERM') return 'permission denied'
    if (code !== 'ENOENT') return reason(error as SystemError)
  }
  try {
    // The journal files (-wal, -shm) are created beside the database: its directory must be writable too.
    accessSync(dirname(resolve(path)), constants.W_OK)
  } catch {
    return `permission denied on its directory ${dirname(resolve(path))}`
  }
  return 'unable to open the database file'
}

/**
 * SQLite opens a file it may not write read-only, without a word, and every write would then fail: a file that
 * exists must be writable before the process starts. (A missing file is created; a directory or a path SQLite
 * cannot open fails on its own, and describeStartupError says why.)
 */
export function checkSqliteWritable(databaseUrl: string): void {
  if (!databaseUrl.startsWith('sqlite:')) return
  const path = sqlitePathOf(databaseUrl)
  if (path === ':memory:') return
  try {
    if (statSync(path).isDirectory()) return
    accessSync(path, constants.W_OK)
  } catch (error) {
    const code = (error as SystemError).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return
    throw new StartupError(
      `cannot write the SQLite database ${path}: ${reason(error as SystemError)}`,
      'DATABASE_URL',
      {
        cause: error,
      },
    )
  }
}

/** pg's own errors while logging in or connecting (socket errors are connectionProblem's). */
function postgresProblem(error: SystemError & { severity?: string }, target: string): string | null {
  // SQLSTATE classes 28 (authorization), 3D (no such database), 57P03 (starting up): the login failed.
  if (error.severity && error.code && /^(28|3D|57P03)/.test(error.code))
    return `PostgreSQL at ${target} refused the connection: ${error.message}`
  if (/timeout|terminated/i.test(error.message) && !error.severity && !error.code)
    return `cannot connect to PostgreSQL at ${target}: ${error.message}`
  return null
}

function sqliteProblem(error: SystemError, url: string): string | null {
  const path = sqlitePathOf(url)
  if (error.code === 'SQLITE_CANTOPEN') return `cannot open the SQLite database ${path}: ${sqliteCause(path)}`
  if (error.code === 'SQLITE_NOTADB') return `${path} is not a SQLite database`
  // Not every error's `code` is a string (an AppError's is a number).
  if (typeof error.code === 'string' && error.code.startsWith('SQLITE_'))
    return `cannot use the SQLite database ${path}: ${error.message}`
  // The folder for the file is created at start.
  if (error.syscall === 'mkdir')
    return `cannot create the folder of the SQLite database ${path}: ${reason(error)}`
  return null
}

/**
 * One line saying why the process could not start and which variable to fix, or null when `error` is not a
 * known start-up failure (then the caller shows the whole error). `settings` are the process's, when valid.
 */
function describeStartupError(error: unknown, settings: Settings | undefined): string | null {
  if (error instanceof StartupError) return `${error.message} (set ${error.variable})`
  if (error instanceof ConfigError) return `invalid configuration: ${error.problems.join('; ')}`
  if (!(error instanceof Error) || settings === undefined) return null
  if (error instanceof MigrationError) {
    const cause = error.cause instanceof Error ? error.cause.message : String(error.cause)
    return `database migration ${error.migration} failed: ${cause}`
  }
  const url = settings.DATABASE_URL ?? ''
  const postgres = servicesOf({ DATABASE_URL: url })[0]
  const problem = url.startsWith('sqlite:')
    ? sqliteProblem(error, url)
    : postgres && postgresProblem(error, postgres.target)
  return problem ? `${problem} (set DATABASE_URL)` : connectionProblem(error, servicesOf(settings))
}

/** Prints why the process could not start on stderr: one line when the cause is known, the stack otherwise. */
export function reportStartupError(error: unknown): void {
  let settings: Settings | undefined
  try {
    settings = loadConfig()
  } catch {
    // A bad configuration is described by its own error, or is beside the point of this one.
  }
  const line =
    describeStartupError(error, settings) ??
    (error instanceof Error ? (error.stack ?? error.message) : String(error))
  process.stderr.write(`orgspace: ${line}\n`)
}
