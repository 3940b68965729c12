import { randomFillSync } from 'node:crypto'

// Ids are ObjectId-like: 4 bytes of seconds since the epoch, then 8 random bytes, as 24 lowercase hex.
// Random bytes are drawn in blocks because bulk seeding asks for millions of ids.
const POOL_SIZE = 8 * 4096
const pool = Buffer.alloc(POOL_SIZE)
let offset = POOL_SIZE

export function newId(now: number = Date.now()): string {
  if (offset + 8 > POOL_SIZE) {
    randomFillSync(pool)
    offset = 0
  }
  const seconds = Math.floor(now / 1000)
  const id = seconds.toString(16).padStart(8, '0') + pool.toString('hex', offset, offset + 8)
  offset += 8
  return id
}

export function isId(value: string): boolean {
  return /^[a-fA-F0-9]{24}$/.test(value)
}

/** Timestamps are stored as ISO-8601 UTC text in both dialects, so values and ordering are identical. */
export function nowIso(): string {
  return new Date().toISOString()
}
