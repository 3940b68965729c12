// The import's first read holds every id and unique value of the archive, to find the two records that share one.
// Held as strings (a Set), that is about a hundred bytes a record, hundreds of megabytes for a large archive, alive
// until the read ends, which also sets the garbage collector's next threshold that high for the whole writing. Held
// as 64-bit fingerprints in typed arrays it is 16 to 32 bytes a record. Two values may share a fingerprint, so
// a repeated one only makes the value a suspect; archive-rules.ts then reads the archive again for the suspects'
// values, compared exactly.

/** Two independent 32-bit hashes of `text` (FNV-1a and a multiply–xorshift); good spread, not cryptographic. */
export function fingerprint(text: string): [number, number] {
  let a = 0x811c9dc5
  let b = 0x9e3779b9 ^ text.length
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    a = Math.imul(a ^ c, 0x01000193)
    b = Math.imul(b ^ c, 0x5bd1e995)
    b ^= b >>> 15
  }
  return [a >>> 0, b >>> 0]
}

/** A set of fingerprints: open addressing over two Uint32Arrays, kept at most half full. */
export class FingerprintSet {
  private high = new Uint32Array(1024)
  private low = new Uint32Array(1024)
  private size = 0

  /** Adds the fingerprint; false when it was there already. */
  add([a, b]: [number, number]): boolean {
    // (0, 0) marks an empty slot; the one value hashing to it is stored as (0, 1), which then stands for both.
    const low = a === 0 && b === 0 ? 1 : b
    if ((this.size + 1) * 2 > this.high.length) this.grow()
    if (!this.place(a, low)) return false
    this.size++
    return true
  }

  has([a, b]: [number, number]): boolean {
    const low = a === 0 && b === 0 ? 1 : b
    const mask = this.high.length - 1
    for (let i = (a ^ low) & mask; ; i = (i + 1) & mask) {
      const h = this.high[i] ?? 0
      const l = this.low[i] ?? 0
      if (h === 0 && l === 0) return false
      if (h === a && l === low) return true
    }
  }

  /** Stores (a, low) in its slot; false when it is there already. */
  private place(a: number, low: number): boolean {
    const mask = this.high.length - 1
    for (let i = (a ^ low) & mask; ; i = (i + 1) & mask) {
      const h = this.high[i] ?? 0
      const l = this.low[i] ?? 0
      if (h === 0 && l === 0) {
        this.high[i] = a
        this.low[i] = low
        return true
      }
      if (h === a && l === low) return false
    }
  }

  private grow(): void {
    const { high, low } = this
    this.high = new Uint32Array(high.length * 2)
    this.low = new Uint32Array(low.length * 2)
    for (let i = 0; i < high.length; i++) {
      const h = high[i] ?? 0
      const l = low[i] ?? 0
      if (h !== 0 || l !== 0) this.place(h, l)
    }
  }
}
