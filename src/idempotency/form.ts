import { createHash } from 'node:crypto'

// The fingerprint of a multipart body (an upload) for Idempotency-Key: its text parts and the SHA-256 of each file
// part, computed as the file streams. Not of its bytes: a client's retry draws a new multipart boundary.

export interface FormFile {
  field: string
  sha256: string
}

const digests = new WeakMap<object, string>()

export function formDigest(fields: ReadonlyMap<string, string>, files: readonly FormFile[]): string {
  const text = [...fields].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return createHash('sha256')
    .update(JSON.stringify({ fields: text, files: files.map((f) => [f.field, f.sha256]) }))
    .digest('hex')
}

/** Notes the digest of `request`'s form once it has been read whole. */
export function noteFormDigest(request: object, digest: string): void {
  digests.set(request, digest)
}

/** The digest of the form `request` carried, if it was read whole. */
export function formDigestOf(request: object): string | undefined {
  return digests.get(request)
}
