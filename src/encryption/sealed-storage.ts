import { pipeline, Readable } from 'node:stream'
import { UnreadableObject } from './errors.js'
import { HEADER_BYTES, isSealedHeader, openStream, sealStream, spanOf } from './format.js'
import type { Keyring } from './keyring.js'
import type { ByteRange, ObjectStorage, StoredObject } from '../storage/storage.js'

// Object storage whose objects are encrypted, each under its organization's data key (keys start with the
// organization id: storage/keys.ts). What goes in and comes out is plaintext, so the builds API, exports and
// imports never see the format; listings and removals are the storage's own (the purge needs no key). An object
// written before encryption (no header) is read as it is, until `orgspace storage encrypt` rewrites it.

export function organizationOf(key: string): string {
  return key.slice(0, key.indexOf('/'))
}

/** All of a stream, for the few bytes of a header. */
async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** `source` through `transform`, an error of either ending the result (which put and the HTTP reply then see). */
function through(source: Readable, transform: NodeJS.ReadWriteStream & Readable): Readable {
  return pipeline(source, transform, () => undefined)
}

/**
 * The plaintext once its first segment has been authenticated: an object that fails there (a wrong key, altered or
 * cut bytes) rejects here, so a download answers an error before it has sent anything. A later segment that fails
 * ends the stream with its error, before any of its bytes.
 */
async function firstSegmentChecked(plaintext: Readable): Promise<Readable> {
  const iterator: AsyncIterator<Buffer> = plaintext[Symbol.asyncIterator]()
  const first = await iterator.next()
  async function* all(): AsyncGenerator<Buffer> {
    if (first.done) return
    yield first.value
    yield* { [Symbol.asyncIterator]: () => iterator }
  }
  return Readable.from(all(), { objectMode: false })
}

export class SealedStorage implements ObjectStorage {
  constructor(
    readonly inner: ObjectStorage,
    readonly keyring: Keyring,
  ) {}

  get description(): string {
    return this.inner.description
  }

  get settings() {
    return this.inner.settings
  }

  async put(key: string, body: Readable, contentType: string): Promise<void> {
    const dataKey = await this.keyring.keyFor(organizationOf(key))
    await this.inner.put(key, through(body, sealStream(dataKey, key)), contentType)
  }

  /** The object's header, or null when there is no such object. */
  async header(key: string): Promise<Buffer | null> {
    const stream = await this.inner.get(key, { start: 0, end: HEADER_BYTES - 1 })
    return stream && readAll(stream)
  }

  async get(key: string, range?: ByteRange): Promise<Readable | null> {
    const header = await this.header(key)
    if (header === null) return null
    if (!isSealedHeader(header)) return this.inner.get(key, range)
    const dataKey = await this.keyring.existingKey(organizationOf(key))
    if (!dataKey) throw new UnreadableObject(key, 'key-destroyed')
    const span = range ? spanOf(range.start, range.end) : null
    const ciphertext = await this.inner.get(
      key,
      span ? { start: span.from, end: span.to } : { start: HEADER_BYTES, end: Number.MAX_SAFE_INTEGER },
    )
    if (!ciphertext) return null
    return firstSegmentChecked(
      through(
        ciphertext,
        openStream(dataKey, key, header, span ?? { firstSegment: 0, skip: 0, take: Infinity }),
      ),
    )
  }

  remove(keys: string[]): Promise<void> {
    return this.inner.remove(keys)
  }

  list(prefix: string, pageSize?: number): AsyncIterable<StoredObject[]> {
    return this.inner.list(prefix, pageSize)
  }

  keys(prefix: string, pageSize?: number): AsyncIterable<string[]> {
    return this.inner.keys(prefix, pageSize)
  }

  close(): Promise<void> {
    return this.inner.close()
  }
}
