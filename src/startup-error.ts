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

/** postgres://user:secret@host:5432/db → host:5432/db: enough to find the server, without the password. */
function postgresTarget(url: string): string {
  try {
    const u = new URL(url)
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`
  } catch {
    return 'DATABASE_URL'
  }
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

/** pg's and the socket's errors while reaching PostgreSQL. */
function postgresProblem(error: SystemError & { severity?: string }, url: string): string | null {
  const target = postgresTarget(url)
  // SQLSTATE classes 28 (authorization), 3D (no such database), 57P03 (starting up): the login failed.
  if (error.severity && error.code && /^(28|3D|57P03)/.test(error.code))
    return `PostgreSQL at ${target} refused the connection: ${error.message}`
  if (error.syscall === 'connect' || error.syscall === 'getaddrinfo' || error.code === 'ECONNREFUSED')
    return `cannot connect to PostgreSQL at ${target}: ${reason(error)}`
  if (/timeout|terminated/i.test(error.message) && !error.severity)
    return `cannot connect to PostgreSQL at ${target}: ${error.message}`
  return null
}

function databaseProblem(error: SystemError & { severity?: string }, url: string): string | null {
  if (url.startsWith('sqlite:')) {
    const path = sqlitePathOf(url)
    if (error.code === 'SQLITE_CANTOPEN')
      return `cannot open the SQLite database ${path}: ${sqliteCause(path)}`
    if (error.code === 'SQLITE_NOTADB') return `${path} is not a SQLite database`
    if (error.code?.startsWith('SQLITE_')) return `cannot use the SQLite database ${path}: ${error.message}`
    // The folder for the file is created at start.
    if (error.syscall === 'mkdir')
      return `cannot create the folder of the SQLite database ${path}: ${reason(error)}`
    return null
  }
  return postgresProblem(error, url)
}

/**
 * One line saying why the process could not start and which variable to fix, or null when `error` is not a
 * known start-up failure (then the caller shows the whole error). `databaseUrl` is the DATABASE_URL in use.
 */
export function describeStartupError(error: unknown, databaseUrl: string | undefined): string | null {
  if (error instanceof StartupError) return `${error.message} (set ${error.variable})`
  if (error instanceof ConfigError) return `invalid configuration: ${error.problems.join('; ')}`
  if (!(error instanceof Error) || databaseUrl === undefined) return null
  if (error instanceof MigrationError) {
    const cause = error.cause instanceof Error ? error.cause.message : String(error.cause)
    return `database migration ${error.migration} failed: ${cause}`
  }
  const problem = databaseProblem(error, databaseUrl)
  return problem && `${problem} (set DATABASE_URL)`
}

/** Prints why the process could not start on stderr: one line when the cause is known, the stack otherwise. */
export function reportStartupError(error: unknown): void {
  let databaseUrl: string | undefined
  try {
    databaseUrl = loadConfig().DATABASE_URL
  } catch {
    // A bad configuration is described by its own error, or is beside the point of this one.
  }
  const line =
    describeStartupError(error, databaseUrl) ??
    (error instanceof Error ? (error.stack ?? error.message) : String(error))
  process.stderr.write(`orgspace: ${line}\n`)
}
