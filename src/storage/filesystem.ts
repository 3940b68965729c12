import { constants, createWriteStream } from 'node:fs'
import { mkdir, open, rename, rmdir, stat, unlink, readdir, lstat } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import {
  StorageUnavailable,
  type ByteRange,
  type ObjectStorage,
  type StorageSettings,
  type StoredObject,
} from './storage.js'

// Objects as files under one folder: key `a/b/c` is the file `<root>/a/b/c`. A write goes to `<file>.partial` and
// is renamed into place once its bytes are on disk, so a reader never sees half an object; the `.partial` file is
// itself under the organization's folder, so a purge that empties the folder takes an interrupted write with it.

const PARTIAL = '.partial'
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/
/**
 * Unlinks queued at once. An unlink holds no file handle; libuv's few threads do the work, and with only a few
 * dozen queued they sat idle whenever this thread waited for a CPU to hand them the next (on a loaded machine,
 * half the purge of 10,000 files).
 */
const PARALLEL = 1000

function errorCode(error: unknown): string {
  return String((error as { code?: unknown }).code ?? '')
}

function ignoreMissing(error: unknown): void {
  if (errorCode(error) !== 'ENOENT') throw error
}

/** `work` on every item, at most `limit` at a time: a slow one holds one slot, not the whole batch. */
async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const lane = async () => {
    while (next < items.length) await work(items[next++] as T)
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane))
}

export class FileStorage implements ObjectStorage {
  readonly settings: StorageSettings
  readonly description: string

  private constructor(private readonly root: string) {
    this.settings = { kind: 'file', root }
    this.description = `file:${root}`
  }

  static async open(root: string): Promise<FileStorage> {
    const absolute = resolve(root)
    await mkdir(absolute, { recursive: true })
    return new FileStorage(absolute)
  }

  /** The folder must exist: a missing one (an unmounted volume, a wrong path) is unavailable storage, not empty. */
  private async ensureRoot(): Promise<void> {
    const found = await stat(this.root).catch(() => null)
    if (!found?.isDirectory()) throw new StorageUnavailable(`storage folder ${this.root} is not there`)
  }

  /** The file of a key; keys are built by orgspace, but a key that could leave the folder is refused anyway. */
  private pathOf(key: string): string {
    const segments = key.split('/')
    if (!segments.every((s) => SEGMENT.test(s))) throw new Error(`not a storage key: ${JSON.stringify(key)}`)
    return join(this.root, ...segments)
  }

  async put(key: string, body: Readable, _contentType: string): Promise<void> {
    await this.ensureRoot()
    const path = this.pathOf(key)
    const partial = path + PARTIAL
    try {
      await mkdir(dirname(path), { recursive: true })
      // `flush`: on disk before it is visible, so a build row never points at bytes a power cut could take back.
      await pipeline(body, createWriteStream(partial, { flush: true }))
      await rename(partial, path)
      await this.syncFolder(dirname(path))
    } catch (error) {
      await unlink(partial).catch(ignoreMissing)
      if (body.errored) throw body.errored
      throw new StorageUnavailable(`writing ${key} failed (${errorCode(error) || 'error'})`, { cause: error })
    }
  }

  private async syncFolder(folder: string): Promise<void> {
    const handle = await open(folder, constants.O_RDONLY)
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable | null> {
    await this.ensureRoot()
    const file = await open(this.pathOf(key), 'r').catch((error: unknown) => {
      if (errorCode(error) === 'ENOENT') return null
      throw new StorageUnavailable(`reading ${key} failed (${errorCode(error)})`, { cause: error })
    })
    return file?.createReadStream(range ? { start: range.start, end: range.end } : {}) ?? null
  }

  async remove(keys: string[]): Promise<void> {
    if (keys.length === 0) return
    await this.ensureRoot()
    const paths = keys.map((key) => this.pathOf(key))
    try {
      await inParallel(await this.present(paths), PARALLEL, (path) => unlink(path).catch(ignoreMissing))
    } catch (error) {
      throw new StorageUnavailable(`removing objects failed (${errorCode(error)})`, { cause: error })
    }
    await this.pruneFolders(paths)
  }

  /**
   * Which of the objects' files, and of what an unfinished write to them left, are there: one read of each folder
   * rather than an unlink per file that may be absent (a `.partial` seldom is there, and a failed unlink costs as
   * much as one that removes).
   */
  private async present(paths: string[]): Promise<string[]> {
    const byFolder = new Map<string, string[]>()
    for (const path of paths) {
      const folder = dirname(path)
      const inFolder = byFolder.get(folder)
      if (inFolder) inFolder.push(path)
      else byFolder.set(folder, [path])
    }
    const found: string[] = []
    for (const [folder, wanted] of byFolder) {
      const names = new Set(
        await readdir(folder).catch((error: unknown) => {
          if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return []
          throw error
        }),
      )
      for (const path of wanted) {
        const name = path.slice(folder.length + 1)
        if (names.has(name)) found.push(path)
        if (names.has(name + PARTIAL)) found.push(path + PARTIAL)
      }
    }
    return found
  }

  /** Empty folders left by removed objects go too: an organization's folder name is its id. */
  private async pruneFolders(paths: string[]): Promise<void> {
    const folders = new Set<string>()
    for (const path of paths) {
      for (let folder = dirname(path); folder.startsWith(this.root + '/'); folder = dirname(folder))
        folders.add(folder)
    }
    // Deepest first, so a parent is tried once its children are gone. A folder still in use stays.
    for (const folder of [...folders].sort((a, b) => b.length - a.length)) {
      await rmdir(folder).catch(() => undefined)
    }
  }

  async *list(prefix: string, pageSize = 1000): AsyncIterable<StoredObject[]> {
    await this.ensureRoot()
    const { start, folder, namePrefix } = this.startOf(prefix)
    let page: StoredObject[] = []
    for await (const object of this.walk(start, folder, namePrefix)) {
      page.push(object)
      if (page.length >= pageSize) {
        yield page
        page = []
      }
    }
    if (page.length > 0) yield page
  }

  /**
   * Read folder by folder rather than file by file, and without asking each file its size: a listing of a hundred
   * thousand keys (the deletion ledger's) took seconds through `list`.
   */
  async *keys(prefix: string, pageSize = 1000): AsyncIterable<string[]> {
    await this.ensureRoot()
    const { start, folder, namePrefix } = this.startOf(prefix)
    const keys: string[] = []
    const pending = [{ path: start, keyPrefix: folder, namePrefix }]
    for (let next = pending.pop(); next; next = pending.pop()) {
      const entries = await readdir(next.path, { withFileTypes: true }).catch((error: unknown) => {
        if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return []
        throw new StorageUnavailable(`listing ${next?.keyPrefix || '/'} failed (${errorCode(error)})`, {
          cause: error,
        })
      })
      for (const entry of entries) {
        if (!entry.name.startsWith(next.namePrefix)) continue
        if (entry.isDirectory())
          pending.push({
            path: join(next.path, entry.name),
            keyPrefix: `${next.keyPrefix}${entry.name}/`,
            namePrefix: '',
          })
        else if (entry.isFile()) keys.push(`${next.keyPrefix}${entry.name}`)
      }
    }
    keys.sort()
    for (let i = 0; i < keys.length; i += pageSize) yield keys.slice(i, i + pageSize)
  }

  /** Where a listing of `prefix` starts: `a/b/` lists the folder a/b; `a/b/c` its entries whose names start with c. */
  private startOf(prefix: string): { start: string; folder: string; namePrefix: string } {
    const slash = prefix.lastIndexOf('/')
    const folder = prefix.slice(0, slash + 1)
    const start = folder === '' ? this.root : this.pathOf(folder.slice(0, -1))
    return { start, folder, namePrefix: prefix.slice(slash + 1) }
  }

  /** Files under `path` (whose key starts with `keyPrefix`), in key order: S3's order, so both list alike. */
  private async *walk(path: string, keyPrefix: string, namePrefix = ''): AsyncGenerator<StoredObject> {
    const entries = await readdir(path, { withFileTypes: true }).catch((error: unknown) => {
      if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return []
      throw new StorageUnavailable(`listing ${keyPrefix || '/'} failed (${errorCode(error)})`, {
        cause: error,
      })
    })
    const named = entries
      .filter((entry) => entry.name.startsWith(namePrefix))
      .map((entry) => ({ entry, sortKey: entry.isDirectory() ? `${entry.name}/` : entry.name }))
      .sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0))
    for (const { entry } of named) {
      const child = join(path, entry.name)
      if (entry.isDirectory()) yield* this.walk(child, `${keyPrefix}${entry.name}/`)
      else if (entry.isFile()) {
        // Removed since the folder was read: it is not there any more, which is what a listing should say.
        const info = await lstat(child).catch(() => null)
        if (info) yield { key: `${keyPrefix}${entry.name}`, size: info.size }
      }
    }
  }

  async close(): Promise<void> {}
}
