import { describe, expect, it } from 'vitest'
import { fingerprint, FingerprintSet } from '../src/exports/fingerprints.js'

// The import's first read keeps unique values as fingerprints (src/exports/fingerprints.ts): the set must find
// every repeat across its growth, and tell apart values that differ by one character. A repeated fingerprint is
// only a suspect; import-rules.test.ts checks that real duplicates are still refused by name.

describe('the fingerprint set of the import’s first read', () => {
  it('holds 200,000 values through its growth: each added once, each repeat found', () => {
    const values = Array.from({ length: 200_000 }, (_, n) => n.toString(16).padStart(24, '0'))
    const set = new FingerprintSet()
    for (const value of values) expect(set.add(fingerprint(value))).toBe(true)
    for (const value of values) expect(set.has(fingerprint(value))).toBe(true)
    for (const value of values.slice(0, 1_000)) expect(set.add(fingerprint(value))).toBe(false)
    expect(set.has(fingerprint('not added'))).toBe(false)
  })

  it('gives values differing in one character, or only in length, different fingerprints', () => {
    const prints = new Set<string>()
    const base = 'SN-000000'
    for (let i = 0; i < base.length; i++)
      for (const c of 'AZaz09-') prints.add(fingerprint(base.slice(0, i) + c + base.slice(i + 1)).join())
    for (let n = 0; n < 64; n++) prints.add(fingerprint('\u0000'.repeat(n)).join())
    expect(prints.size).toBe(base.length * 7 - countSame(base, 'AZaz09-') + 64)
  })
})

/** Substitutions that leave `base` unchanged (the same string counted once). */
function countSame(base: string, alphabet: string): number {
  let same = 0
  for (const ch of base) if (alphabet.includes(ch)) same++
  // Each position where `ch` is in the alphabet yields `base` itself; all of them are one string.
  return same > 0 ? same - 1 : 0
}
