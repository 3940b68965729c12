import { pipeline } from 'node:stream'
import { AppError, ErrorCode } from '../core/errors.js'
import { isSealedHeader, sealStream } from './format.js'
import { organizationOf, type SealedStorage } from './sealed-storage.js'

// `orgspace storage encrypt`: the objects written before encryption are rewritten encrypted, each under its
// organization's key. Resumable and idempotent: an object already encrypted is left as it is, so a run stopped at
// any point is finished by the next, and a run over an encrypted store changes nothing.
//
// An object is never rewritten in place: some S3-compatible servers truncate an object as a new write of it
// begins, under a reader of the old bytes. The encrypted copy is written beside it (`<key>.sealing`, under the
// same organization's prefix, so a purge takes it too), copied over the original, then removed.

const SEALING = '.sealing'

export interface EncryptProgress {
  done: number
  total: number
}

export interface EncryptResult {
  /** Objects rewritten encrypted by this run. */
  encrypted: number
  /** Objects already encrypted. */
  alreadyEncrypted: number
  /** Objects left in plaintext: outside any organization's prefix, or of an organization being deleted. */
  skipped: number
}

/** Plaintext objects, for `storage check`: every object's first bytes are read. */
export async function countPlaintext(storage: SealedStorage): Promise<number> {
  let plaintext = 0
  for await (const page of storage.list(''))
    for (const object of page) {
      const header = await storage.header(object.key)
      if (header !== null && !isSealedHeader(header)) plaintext++
    }
  return plaintext
}

async function countObjects(storage: SealedStorage): Promise<number> {
  let total = 0
  for await (const page of storage.list('')) total += page.length
  return total
}

export async function encryptStore(
  storage: SealedStorage,
  onProgress: (progress: EncryptProgress) => void = () => undefined,
): Promise<EncryptResult> {
  const result: EncryptResult = { encrypted: 0, alreadyEncrypted: 0, skipped: 0 }
  const total = await countObjects(storage)
  let done = 0
  const leftovers: string[] = []
  for await (const page of storage.list('')) {
    for (const { key } of page) {
      if (key.endsWith(SEALING)) leftovers.push(key)
      else await encryptObject(storage, key, result)
      onProgress({ done: ++done, total: Math.max(total, done) })
    }
  }
  // Copies of an interrupted run whose original has been rewritten since.
  await storage.remove(leftovers)
  return result
}

async function encryptObject(storage: SealedStorage, key: string, result: EncryptResult): Promise<void> {
  const header = await storage.header(key)
  if (header === null) return
  if (isSealedHeader(header)) {
    result.alreadyEncrypted++
    return
  }
  const organizationId = organizationOf(key)
  const dataKey =
    organizationId === '' || key.endsWith('.partial')
      ? null
      : await storage.keyring.keyFor(organizationId).catch((error: unknown) => {
          if (error instanceof AppError && error.code === ErrorCode.EntityNotFound) return null
          throw error
        })
  if (!dataKey) {
    result.skipped++
    return
  }
  const inner = storage.inner
  const plain = await inner.get(key)
  if (!plain) return
  const copy = `${key}${SEALING}`
  await inner.put(
    copy,
    pipeline(plain, sealStream(dataKey, key), () => undefined),
    'application/octet-stream',
  )
  const sealed = await inner.get(copy)
  if (!sealed) throw new Error(`${copy} vanished while it was written`)
  await inner.put(key, sealed, 'application/octet-stream')
  await inner.remove([copy])
  result.encrypted++
}
