import { createHash } from 'node:crypto'
import { Transform, type Readable } from 'node:stream'
import type { FastifyRequest } from 'fastify'
import type {} from '@fastify/multipart'
import { AppError, ErrorCode } from '../core/errors.js'
import type { FormPart } from '../core/form.js'

// A request sent with an Idempotency-Key has its form fingerprinted as it streams (http/idempotency.ts): its text
// parts and the SHA-256 of each file — not its bytes, since a client's retry draws a new multipart boundary.

const digests = new WeakMap<FastifyRequest, string>()

/** The fingerprint of `request`'s form, once formParts has read it whole (only with an Idempotency-Key). */
export function formDigestOf(request: FastifyRequest): string | undefined {
  return digests.get(request)
}

/** Hashes what flows through; `sha256` is set once the stream has ended. */
class Hasher extends Transform {
  sha256: string | undefined
  private readonly hash = createHash('sha256')
  override _transform(
    chunk: Buffer,
    _encoding: BufferEncoding,
    done: (error?: Error | null, data?: Buffer) => void,
  ) {
    this.hash.update(chunk)
    done(null, chunk)
  }
  override _flush(done: () => void) {
    this.sha256 = this.hash.digest('hex')
    done()
  }
}

/** The parts of a multipart request, in the order they arrive; 415 when the request is not multipart. */
export async function* formParts(request: FastifyRequest): AsyncGenerator<FormPart> {
  if (!request.isMultipart()) throw new AppError(ErrorCode.UnsupportedMediaType)
  const fingerprint = request.headers['idempotency-key'] !== undefined
  const fields: [string, string][] = []
  const files: [string, Hasher][] = []
  for await (const part of request.parts()) {
    if (part.type === 'field') {
      const value = String(part.value)
      fields.push([part.fieldname, value])
      yield { type: 'field', name: part.fieldname, value, truncated: part.valueTruncated }
      continue
    }
    let stream: Readable = part.file
    if (fingerprint) {
      const hasher = new Hasher()
      part.file.once('error', (error: Error) => hasher.destroy(error))
      stream = part.file.pipe(hasher)
      files.push([part.fieldname, hasher])
    }
    yield { type: 'file', name: part.fieldname, fileName: part.filename, mimeType: part.mimetype, stream }
  }
  const hashes = files.map(([name, hasher]) => [name, hasher.sha256])
  if (fingerprint && hashes.every(([, sha256]) => sha256 !== undefined)) {
    fields.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    digests.set(
      request,
      createHash('sha256')
        .update(JSON.stringify({ fields, files: hashes }))
        .digest('hex'),
    )
  }
}
