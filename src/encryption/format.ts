import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { Transform, type TransformCallback } from 'node:stream'
import { UnreadableObject } from './errors.js'

// The encrypted object format (docs/storage.md), the STREAM construction over AES-256-GCM:
//
//   header   magic "\x89OSENC\r\n" (8) ‖ version 1 (1) ‖ nonce prefix (7, random per object)
//   segment  AES-256-GCM(64 KiB of plaintext, the last one shorter or empty) ‖ tag (16)
//
// Segment i's nonce is prefix ‖ i (4, big-endian) ‖ 1 if it is the last segment else 0; its associated data is
// the header and the object's key. So a segment cannot be altered, moved within the object or into another one,
// nor the object cut at a segment boundary (the segment before the cut was not sealed as the last), and any
// segment can be decrypted alone: a ranged download reads only the segments it needs.

const MAGIC = Buffer.from([0x89, 0x4f, 0x53, 0x45, 0x4e, 0x43, 0x0d, 0x0a])
const VERSION = 1
export const HEADER_BYTES = 16
const SEGMENT_BYTES = 64 * 1024
const TAG_BYTES = 16
const PREFIX_BYTES = 7
/** A sealed segment: its plaintext and its tag. */
const SEALED_SEGMENT_BYTES = SEGMENT_BYTES + TAG_BYTES

/** Whether these first bytes of an object are an encrypted object's header. */
export function isSealedHeader(head: Buffer): boolean {
  return head.length >= HEADER_BYTES && head.subarray(0, MAGIC.length).equals(MAGIC) && head[8] === VERSION
}

function nonceOf(header: Buffer, index: number, last: boolean): Buffer {
  const nonce = Buffer.alloc(12)
  header.copy(nonce, 0, 9, 9 + PREFIX_BYTES)
  nonce.writeUInt32BE(index, PREFIX_BYTES)
  nonce[11] = last ? 1 : 0
  return nonce
}

/** Bytes arriving in chunks of any size, taken out in the sizes the segments need. */
class Pending {
  private chunks: Buffer[] = []
  length = 0

  add(chunk: Buffer): void {
    this.chunks.push(chunk)
    this.length += chunk.length
  }

  take(bytes: number): Buffer {
    const first = this.chunks[0]
    let taken: Buffer
    if (first && first.length >= bytes) {
      taken = first.subarray(0, bytes)
      if (first.length === bytes) this.chunks.shift()
      else this.chunks[0] = first.subarray(bytes)
    } else {
      const all = Buffer.concat(this.chunks)
      taken = all.subarray(0, bytes)
      this.chunks = all.length > bytes ? [all.subarray(bytes)] : []
    }
    this.length -= taken.length
    return taken
  }
}

/** Encrypts a stream into the format, under `dataKey`, for the object `objectKey`. */
export function sealStream(dataKey: Buffer, objectKey: string): Transform {
  const header = Buffer.concat([MAGIC, Buffer.from([VERSION]), randomBytes(PREFIX_BYTES)])
  const aad = Buffer.concat([header, Buffer.from(objectKey)])
  const pending = new Pending()
  let index = 0
  let started = false
  // The sealed segment leaves as two buffers, its ciphertext and its tag: joining them copied every byte once more.
  const seal = (stream: Transform, plain: Buffer, last: boolean): void => {
    const cipher = createCipheriv('aes-256-gcm', dataKey, nonceOf(header, index++, last))
    cipher.setAAD(aad)
    stream.push(cipher.update(plain))
    cipher.final()
    stream.push(cipher.getAuthTag())
  }
  const start = (stream: Transform) => {
    if (!started) stream.push(header)
    started = true
  }
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      start(this)
      pending.add(chunk)
      // More than a segment's worth: the next segment is not the last.
      while (pending.length > SEGMENT_BYTES) seal(this, pending.take(SEGMENT_BYTES), false)
      done()
    },
    flush(done: TransformCallback) {
      start(this)
      seal(this, pending.take(pending.length), true)
      done()
    },
  })
}

export interface OpenSpan {
  /** The first segment the ciphertext given starts with. */
  firstSegment: number
  /** Plaintext bytes of that segment before the first one wanted. */
  skip: number
  /** Plaintext bytes wanted; Infinity for the rest of the object, which must then end properly. */
  take: number
}

/** The segments holding plaintext bytes `start`…`end` (inclusive), as offsets in the encrypted object. */
export function spanOf(start: number, end: number): OpenSpan & { from: number; to: number } {
  const firstSegment = Math.floor(start / SEGMENT_BYTES)
  const lastSegment = Math.floor(end / SEGMENT_BYTES)
  return {
    firstSegment,
    skip: start - firstSegment * SEGMENT_BYTES,
    take: end - start + 1,
    from: HEADER_BYTES + firstSegment * SEALED_SEGMENT_BYTES,
    // One byte past the last segment wanted: whether it is there says whether that segment is the object's last.
    to: HEADER_BYTES + (lastSegment + 1) * SEALED_SEGMENT_BYTES,
  }
}

/**
 * Decrypts the ciphertext of an object, from the start of segment `span.firstSegment`, into the plaintext bytes
 * the span asks for. A segment is passed on only once authenticated; one that fails, or an object that ends too
 * soon, errors the stream with UnreadableObject, so altered bytes are never returned.
 */
export function openStream(dataKey: Buffer, objectKey: string, header: Buffer, span: OpenSpan): Transform {
  const aad = Buffer.concat([header.subarray(0, HEADER_BYTES), Buffer.from(objectKey)])
  const pending = new Pending()
  let index = span.firstSegment
  let skip = span.skip
  let wanted = span.take
  const open = (sealed: Buffer, last: boolean): Buffer => {
    if (sealed.length < TAG_BYTES) throw new UnreadableObject(objectKey, 'truncated')
    const decipher = createDecipheriv('aes-256-gcm', dataKey, nonceOf(header, index, last))
    decipher.setAAD(aad)
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES))
    const plain = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES))
    try {
      decipher.final()
    } catch {
      // A full segment that is not the last one sealed, at the end of what storage gave: the object was cut there.
      const cut = last && sealed.length === SEALED_SEGMENT_BYTES
      throw new UnreadableObject(objectKey, cut ? 'truncated' : 'tampered')
    }
    index++
    return plain
  }
  const deliver = (stream: Transform, plain: Buffer) => {
    const part = plain.subarray(Math.min(skip, plain.length), Math.min(plain.length, skip + wanted))
    skip = Math.max(0, skip - plain.length)
    wanted -= part.length
    if (part.length > 0) stream.push(part)
  }
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      // Past the bytes wanted, the rest (the lookahead byte of spanOf) only said there was more.
      if (wanted <= 0) return done()
      pending.add(chunk)
      try {
        while (pending.length > SEALED_SEGMENT_BYTES && wanted > 0)
          deliver(this, open(pending.take(SEALED_SEGMENT_BYTES), false))
      } catch (error) {
        return done(error as Error)
      }
      done()
    },
    flush(done: TransformCallback) {
      try {
        if (wanted > 0) deliver(this, open(pending.take(pending.length), true))
        if (wanted > 0 && Number.isFinite(wanted)) throw new UnreadableObject(objectKey, 'truncated')
      } catch (error) {
        return done(error as Error)
      }
      done()
    },
  })
}
