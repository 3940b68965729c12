import type { Readable } from 'node:stream'

// Object storage behind one small interface, so the builds API, the purge and `storage check` never know which
// backend holds the bytes. Keys are `<organizationId>/<applicationId>/<buildId>` (see keys.ts): one listing of
// `<organizationId>/` shows everything a workspace holds.

export interface StoredObject {
  key: string
  size: number
}

/** Inclusive byte offsets, as in an HTTP Range. */
export interface ByteRange {
  start: number
  end: number
}

export interface ObjectStorage {
  /** What it is, for logs and the CLI (never credentials). */
  readonly description: string
  /** What it was opened from: enough to open the same storage elsewhere (the purge thread). */
  readonly settings: StorageSettings
  /**
   * Streams `body` into `key`. The object becomes visible only once complete; if `body` fails or the write does,
   * nothing is left under `key` and the promise rejects with `body`'s error (`body.errored`: it may have failed
   * before this was called) or a StorageUnavailable.
   */
  put(key: string, body: Readable, contentType: string): Promise<void>
  /** The object's bytes, or a range of them; null when there is no such object. */
  get(key: string, range?: ByteRange): Promise<Readable | null>
  /** Removes the objects, and whatever an unfinished write to those keys left; absent keys are no error. */
  remove(keys: string[]): Promise<void>
  /** The objects whose key starts with `prefix`, in key order, at most `pageSize` at a time. */
  list(prefix: string, pageSize?: number): AsyncIterable<StoredObject[]>
  /** The keys under `prefix`, as `list` finds them but without their sizes, which a folder must ask file by file. */
  keys(prefix: string, pageSize?: number): AsyncIterable<string[]>
  close(): Promise<void>
}

/** The storage cannot be reached, or refused what was asked of it. Requests answer 503 / 5030. */
export class StorageUnavailable extends Error {
  /** Matched by the error handler, like the database's connection errors. */
  readonly code = 'STORAGE_UNAVAILABLE'
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'StorageUnavailable'
  }
}

export type StorageSettings =
  | { kind: 'file'; root: string }
  | {
      kind: 's3'
      bucket: string
      /** Prepended to every key, without slashes at either end; empty for none. */
      prefix: string
      endpoint: string
      region: string
      forcePathStyle: boolean
    }
