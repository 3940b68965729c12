import { createHash, randomBytes } from 'node:crypto'
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { Config } from '../config.js'
import { StartupError } from '../startup-error.js'

// The master key wraps every organization's data key (keyring.ts). It never reaches the database: a database
// backup alone unwraps nothing, and once `keys rotate-master` has destroyed an old master key, no backup taken
// before the rotation can unwrap the data keys it holds.

const MASTER_KEY_BYTES = 32

export interface MasterKey {
  /** A fingerprint, recorded beside each data key it wraps; it reveals nothing of a random 256-bit key. */
  readonly id: string
  readonly key: Buffer
}

export type MasterKeySettings = Pick<Config, 'MASTER_KEY' | 'MASTER_KEY_FILE'>

function masterKey(key: Buffer): MasterKey {
  const id = createHash('sha256').update('orgspace master key\0').update(key).digest('hex').slice(0, 16)
  return { id, key }
}

/** Where `keys rotate-master` keeps the new key until every data key is wrapped by it; then it replaces the file. */
export function nextKeyFile(file: string): string {
  return `${file}.next`
}

function errorCode(error: unknown): string {
  return String((error as { code?: unknown }).code ?? '')
}

/** The key in `file`, or null when there is no such file. */
export function readKeyFile(file: string): MasterKey | null {
  let bytes: Buffer
  try {
    bytes = readFileSync(file)
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return null
    throw new StartupError(
      `cannot read the master key ${file} (${errorCode(error) || 'error'})`,
      'MASTER_KEY_FILE',
      {
        cause: error,
      },
    )
  }
  if (bytes.length !== MASTER_KEY_BYTES)
    throw new StartupError(
      `${file} is not a master key: it holds ${bytes.length} bytes, not ${MASTER_KEY_BYTES}`,
      'MASTER_KEY_FILE',
    )
  return masterKey(bytes)
}

/**
 * Writes a new random key to `file` (mode 0600, on disk before it is used), unless one is there: two processes
 * starting at once both end up with the key the first wrote.
 */
export function createKeyFile(file: string): MasterKey {
  mkdirSync(dirname(resolve(file)), { recursive: true, mode: 0o700 })
  const key = randomBytes(MASTER_KEY_BYTES)
  let fd: number
  try {
    fd = openSync(file, 'wx', 0o600)
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw error
    const found = readKeyFile(file)
    if (!found) throw error
    return found
  }
  try {
    writeSync(fd, key)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  syncFolder(dirname(resolve(file)))
  return masterKey(key)
}

export function syncFolder(folder: string): void {
  const fd = openSync(folder, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

function parseKeyText(text: string): MasterKey {
  const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(text) ? Buffer.from(text, 'base64') : Buffer.alloc(0)
  // The value itself is never shown: a near miss of the real key is still most of the key.
  if (bytes.length !== MASTER_KEY_BYTES)
    throw new StartupError(
      `MASTER_KEY is not a master key: it must be ${MASTER_KEY_BYTES} random bytes in base64 (openssl rand -base64 32)`,
      'MASTER_KEY',
    )
  return masterKey(bytes)
}

/**
 * The master keys a process can use: the configured one, and while a rotation is under way the new one beside its
 * file. Data keys name the master key that wrapped them. With MASTER_KEY_FILE, the files are looked at again
 * (a stat) before each use: servers keep working while `keys rotate-master` re-wraps under them, and once it has
 * replaced the file no process unwraps with the old key any more.
 */
export class MasterKeys {
  private known = new Map<string, MasterKey>()
  private seen = ''

  private constructor(
    private readonly file: string | null,
    private configured: MasterKey,
  ) {
    this.known.set(configured.id, configured)
  }

  /** MASTER_KEY, or MASTER_KEY_FILE (created when missing). Throws a StartupError naming the variable to fix. */
  static load(settings: MasterKeySettings): MasterKeys {
    if (settings.MASTER_KEY !== '') return new MasterKeys(null, parseKeyText(settings.MASTER_KEY))
    const file = settings.MASTER_KEY_FILE
    let key: MasterKey
    try {
      key = readKeyFile(file) ?? createKeyFile(file)
    } catch (error) {
      if (error instanceof StartupError) throw error
      throw new StartupError(
        `cannot create the master key ${file} (${errorCode(error) || 'error'})`,
        'MASTER_KEY_FILE',
        { cause: error },
      )
    }
    const keys = new MasterKeys(file, key)
    keys.refresh()
    return keys
  }

  /** The file rotation works on; null when the key came from MASTER_KEY. */
  get keyFile(): string | null {
    return this.file
  }

  /** The key new data keys are wrapped with: a rotation's new key while one is under way. */
  current(): MasterKey {
    this.refresh()
    return this.configured
  }

  /** The master key with this fingerprint, if this process has it. */
  byId(id: string): MasterKey | undefined {
    this.refresh()
    return this.known.get(id)
  }

  /** Reads the key files again when either changed since they were last read. */
  private refresh(): void {
    if (this.file === null) return
    const files = [this.file, nextKeyFile(this.file)]
    const seen = files.map(fileStamp).join('|')
    if (seen === this.seen) return
    const [current, next] = files.map(readKeyFile)
    this.known = new Map()
    for (const key of [current, next]) if (key) this.known.set(key.id, key)
    this.configured = next ?? current ?? this.configured
    this.seen = seen
  }
}

function fileStamp(file: string): string {
  try {
    const found = statSync(file)
    return `${found.ino}:${found.mtimeMs}:${found.size}`
  } catch {
    return '-'
  }
}
