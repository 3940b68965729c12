import { createHash } from 'node:crypto'
import { Transform, Writable, type TransformCallback } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { AppError, ErrorCode } from '../core/errors.js'
import type { FormPart } from '../core/form.js'
import { StorageUnavailable, type ObjectStorage } from '../storage/storage.js'

// Reading an upload's multipart/form-data: the file part goes straight into storage through a meter that counts
// and hashes it (memory stays flat whatever the file's size), the text parts are collected. A file over the limit
// fails the write, so nothing of it is kept.

export interface ReceivedFile {
  fileName: string
  contentType: string
  size: number
  sha256: string
}

export interface FormSpec<F> {
  /** The name of the file part. */
  fileField: string
  /** Other file parts: refused, or read and dropped (Applivery's uploaders send some orgspace has no use for). */
  otherFiles: 'refuse' | 'drop'
  /** Checked as each text part arrives, so a bad one is refused before the file is read. Throws 3000. */
  accept(name: string): void
  /** The text parts, once all have arrived, as the upload's fields. Throws 3000. */
  parse(fields: Map<string, string>): F
}

/** Counts and hashes what flows through, and fails once more than `max` bytes have. */
class Meter extends Transform {
  // Not `size`: S3's uploader takes a body's `size` for its length, known in advance.
  counted = 0
  private readonly hash = createHash('sha256')
  constructor(private readonly max: number) {
    super()
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.counted += chunk.length
    if (this.counted > this.max) return done(new AppError(ErrorCode.PayloadTooLarge))
    this.hash.update(chunk)
    done(null, chunk)
  }
  digest(): string {
    return this.hash.digest('hex')
  }
}

const discard = () =>
  new Writable({
    write: (_chunk, _encoding, done) => done(),
  })

/** A file name without folders or control characters, at most 255 characters. */
function cleanFileName(name: string | undefined): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? ''
  const printable = [...base].filter((c) => c >= ' ' && c !== '\x7f').join('')
  return printable.trim().slice(0, 255) || 'build'
}

/** The part's media type if it is a well-formed one; anything else is served as plain bytes. */
function cleanContentType(type: string | undefined): string {
  return type && /^[\w.+-]{1,63}\/[\w.+-]{1,63}$/.test(type) ? type.toLowerCase() : 'application/octet-stream'
}

function invalid(path: string, message: string): AppError {
  return AppError.validation([{ path, message }])
}

/** Errors of the multipart parser (a limit reached, a malformed body) in the envelope's terms. */
function formError(error: unknown): unknown {
  if (error instanceof AppError || error instanceof StorageUnavailable) return error
  const { statusCode, code } = error as { statusCode?: number; code?: string }
  if (statusCode === 413) return new AppError(ErrorCode.PayloadTooLarge)
  if (code === 'FST_PROTO_VIOLATION') return invalid('/body', 'uses a reserved field name')
  return invalid('/body', 'is not valid multipart/form-data')
}

/**
 * Reads the form's parts, writing its file part to `key` in `storage`. Resolves once the object is complete
 * and every part was read; on failure whatever reached storage is removed by the caller.
 */
export async function receiveForm<F>(
  parts: AsyncIterable<FormPart>,
  storage: ObjectStorage,
  key: string,
  maxBytes: number,
  spec: FormSpec<F>,
): Promise<{ file: ReceivedFile; fields: F }> {
  const fields = new Map<string, string>()
  const otherFiles: string[] = []
  let file: ReceivedFile | undefined
  try {
    for await (const part of parts) {
      if (part.type === 'field') {
        if (part.name === spec.fileField)
          throw invalid(
            `/body/${spec.fileField}`,
            `must be a file, not text (curl: -F "${spec.fileField}=@<path>")`,
          )
        if (part.truncated) throw invalid(`/body/${part.name}`, 'is too long')
        spec.accept(part.name)
        // As in JSON bodies (http/input.ts): refused on both databases alike, not stored by one and not the other.
        if (part.value.includes('\u0000'))
          throw invalid(`/body/${part.name}`, 'must not contain NUL characters')
        fields.set(part.name, part.value)
        continue
      }
      if (part.name !== spec.fileField) {
        if (spec.otherFiles === 'refuse')
          throw invalid(
            `/body/${part.name}`,
            `is not a known part: send the build file as the part \`${spec.fileField}\``,
          )
        otherFiles.push(part.name)
        await pipeline(part.stream, new Meter(maxBytes), discard())
        continue
      }
      if (file) throw invalid(`/body/${spec.fileField}`, 'must be sent once')
      const meter = new Meter(maxBytes)
      // Its error (too large, the client gone) is read by the storage from `meter.errored`, whenever it happens.
      meter.on('error', () => undefined)
      part.stream.once('error', (error: Error) => meter.destroy(error))
      await storage.put(key, part.stream.pipe(meter), cleanContentType(part.mimeType))
      file = {
        fileName: cleanFileName(part.fileName),
        contentType: cleanContentType(part.mimeType),
        size: meter.counted,
        sha256: meter.digest(),
      }
    }
  } catch (error) {
    throw formError(error)
  }
  if (!file) {
    const sent =
      otherFiles.length > 0 ? ` (the files sent were in ${otherFiles.map((n) => `\`${n}\``).join(', ')})` : ''
    throw invalid(
      `/body/${spec.fileField}`,
      `is required: the build file, as the part \`${spec.fileField}\`${sent}`,
    )
  }
  return { file, fields: spec.parse(fields) }
}
