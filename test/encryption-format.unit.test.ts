import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { UnreadableObject } from '../src/encryption/errors.js'
import { openStream, sealStream, spanOf } from '../src/encryption/format.js'

// The encrypted object format on its own (docs/storage.md): what goes in comes out, at any size and in chunks of any
// size; a range reads only its segments; altered, moved or cut bytes are refused, never returned. Sizes are written
// out from the format's description (16-byte header, 64 KiB segments, 16-byte tags), not taken from the code.

const KEY = randomBytes(32)
const OBJECT = 'aaaaaaaaaaaaaaaaaaaaaaaa/bbbbbbbbbbbbbbbbbbbbbbbb/cccccccccccccccccccccccc'
const SEGMENT = 65536

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** `bytes` fed in pieces of `chunk` bytes, as a socket or a file would. */
function chunked(bytes: Buffer, chunk: number): Readable {
  const pieces: Buffer[] = []
  for (let i = 0; i < bytes.length; i += chunk) pieces.push(bytes.subarray(i, i + chunk))
  return Readable.from(pieces)
}

async function seal(plain: Buffer, chunk = 10_000, objectKey = OBJECT): Promise<Buffer> {
  return collect(chunked(plain, chunk).pipe(sealStream(KEY, objectKey)))
}

async function open(sealed: Buffer, objectKey = OBJECT, key = KEY): Promise<Buffer> {
  const header = sealed.subarray(0, 16)
  return collect(
    chunked(sealed.subarray(16), 7_777).pipe(
      openStream(key, objectKey, header, { firstSegment: 0, skip: 0, take: Infinity }),
    ),
  )
}

async function openRange(sealed: Buffer, start: number, end: number): Promise<Buffer> {
  const span = spanOf(start, end)
  // What a storage range read gives: `to` is inclusive, and may lie past the end of the object.
  const part = sealed.subarray(span.from, span.to + 1)
  return collect(chunked(part, 4096).pipe(openStream(KEY, OBJECT, sealed.subarray(0, 16), span)))
}

describe('the encrypted object format', () => {
  it.each([0, 1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 3 * SEGMENT, 3 * SEGMENT + 100])(
    'gives back %i bytes as they went in, at the size the format says',
    async (size) => {
      const plain = randomBytes(size)
      for (const chunk of [1000, SEGMENT, 3 * SEGMENT]) {
        const sealed = await seal(plain, chunk)
        expect(sealed.length).toBe(16 + size + 16 * Math.max(1, Math.ceil(size / SEGMENT)))
        expect(sealed.subarray(0, 9)).toEqual(Buffer.from('\x89OSENC\r\n\x01', 'latin1'))
        expect((await open(sealed)).equals(plain)).toBe(true)
      }
    },
  )

  it('encrypts the same bytes differently each time, and shows none of them', async () => {
    const plain = Buffer.alloc(3 * SEGMENT, 'PLAINTEXT-MARKER ')
    const [a, b] = [await seal(plain), await seal(plain)]
    expect(a.equals(b)).toBe(false)
    expect(a.includes('PLAINTEXT')).toBe(false)
  })

  it('reads any range from its own segments only', async () => {
    const size = 3 * SEGMENT + 100
    const plain = randomBytes(size)
    const sealed = await seal(plain)
    const ranges: [number, number][] = [
      [0, 0],
      [SEGMENT - 1, SEGMENT],
      [SEGMENT - 10, 2 * SEGMENT + 10],
      [SEGMENT, 2 * SEGMENT - 1],
      [size - 1, size - 1],
      [size - 100, size - 1],
      [3 * SEGMENT, size - 1],
      [0, size - 1],
    ]
    for (const [start, end] of ranges)
      expect(
        (await openRange(sealed, start, end)).equals(plain.subarray(start, end + 1)),
        `${start}-${end}`,
      ).toBe(true)
  })

  it('refuses a flipped byte anywhere, another key, another object name', async () => {
    const plain = randomBytes(2 * SEGMENT + 5)
    const sealed = await seal(plain)
    for (const at of [3, 12, 16, 100, 16 + SEGMENT + 16 + 7, sealed.length - 1]) {
      const altered = Buffer.from(sealed)
      altered[at] = (altered[at] ?? 0) ^ 0x01
      await expect(open(altered), `byte ${at}`).rejects.toThrow(/altered/)
    }
    await expect(open(sealed, OBJECT.replace('c', 'd'))).rejects.toBeInstanceOf(UnreadableObject)
    await expect(open(sealed, OBJECT, randomBytes(32))).rejects.toThrow(/altered/)
  })

  it('refuses an object cut anywhere, also at a segment boundary, or with a segment moved', async () => {
    const plain = randomBytes(3 * SEGMENT)
    const sealed = await seal(plain)
    const sealedSegment = SEGMENT + 16
    for (const length of [16, 20, 16 + sealedSegment, 16 + 2 * sealedSegment, sealed.length - 1])
      await expect(open(sealed.subarray(0, length)), `cut at ${length}`).rejects.toBeInstanceOf(
        UnreadableObject,
      )
    await expect(open(sealed.subarray(0, 16 + 2 * sealedSegment))).rejects.toThrow(/truncated/)
    const swapped = Buffer.concat([
      sealed.subarray(0, 16),
      sealed.subarray(16 + sealedSegment, 16 + 2 * sealedSegment),
      sealed.subarray(16, 16 + sealedSegment),
      sealed.subarray(16 + 2 * sealedSegment),
    ])
    await expect(open(swapped)).rejects.toThrow(/altered/)
    // A range ending in the segment before the cut fails too: that segment was not sealed as the last, and nothing
    // follows it. One ending earlier is whole and authentic.
    const cut = sealed.subarray(0, 16 + 2 * sealedSegment)
    await expect(openRange(cut, SEGMENT, SEGMENT + 5)).rejects.toThrow(/truncated/)
    expect((await openRange(cut, 5, SEGMENT - 1)).equals(plain.subarray(5, SEGMENT))).toBe(true)
  })
})
