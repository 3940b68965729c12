import type { FieldError } from './errors.js'

// Text orgspace keeps exactly as it was sent, or refuses: the same rules for request bodies (http/input.ts) and
// for the records of an imported archive (exports/reader.ts), on both databases alike.

/** A key as one segment of a JSON pointer (RFC 6901), as AJV writes the paths of its errors. */
export function pointerSegment(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1')
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/**
 * Why a text cannot be kept exactly as sent, or null: NUL (storable in SQLite, refused by PostgreSQL) and a lone
 * UTF-16 surrogate (`"\ud800"` in JSON; both databases would store U+FFFD instead).
 */
function textProblem(text: string): string | null {
  if (text.includes('\u0000')) return 'must not contain NUL characters'
  if (LONE_SURROGATE.test(text)) return 'must not contain unpaired surrogates (\\ud800-\\udfff)'
  return null
}

/**
 * The first string (or key) that `problem` finds fault with, as a JSON-pointer path and the message, or null.
 * Iterative: a body is client input, and nesting it a few thousand levels deep must not overflow the stack.
 */
export function textFault(
  value: unknown,
  problem: (text: string) => string | null = textProblem,
): FieldError | null {
  const pending: [unknown, string][] = [[value, '']]
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [item, path] = next
    if (typeof item === 'string') {
      const message = problem(item)
      if (message) return { path: path || '/', message }
      continue
    }
    if (item === null || typeof item !== 'object') continue
    // Reversed, so the first key is looked at first and the path reported is the first in document order.
    for (const [key, child] of Object.entries(item).reverse()) {
      const at = `${path}/${pointerSegment(key)}`
      const message = problem(key)
      if (message) return { path: at, message }
      pending.push([child, at])
    }
  }
  return null
}
