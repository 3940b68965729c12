import type { FieldError } from './errors.js'

// Text orgspace keeps exactly as it was sent, or refuses: the same rules for request bodies (http/input.ts) and
// for the records of an imported archive (exports/reader.ts), on both databases alike.

/** A key as one segment of a JSON pointer (RFC 6901), as AJV writes the paths of its errors. */
export function pointerSegment(key: string): string {
  // Every request's params and query pass through here (textFault); nearly no key needs escaping.
  if (!key.includes('~') && !key.includes('/')) return key
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

function pathOf(parent: string, key: string | undefined): string {
  return key === undefined ? parent : `${parent}/${pointerSegment(key)}`
}

/**
 * The first string (or key) that `problem` finds fault with, as a JSON-pointer path and the message, or null.
 * Iterative: a body is client input, and nesting it a few thousand levels deep must not overflow the stack.
 */
export function textFault(
  value: unknown,
  problem: (text: string) => string | null = textProblem,
): FieldError | null {
  // Each entry: a value, its parent's path and its key. The path is written out only for objects (their children
  // need it) and for a fault: every request's params and query pass through here, and nearly all are clean.
  const pending: [unknown, string, string | undefined][] = [[value, '', undefined]]
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [item, parent, key] = next
    if (typeof item === 'string') {
      const message = problem(item)
      if (message) return { path: pathOf(parent, key) || '/', message }
      continue
    }
    if (item === null || typeof item !== 'object') continue
    const path = pathOf(parent, key)
    const entries = Object.entries(item)
    // Last to first, so the first key is looked at first and the path reported is the first in document order.
    for (let i = entries.length - 1; i >= 0; i--) {
      const [childKey, child] = entries[i] as [string, unknown]
      const message = problem(childKey)
      if (message) return { path: pathOf(path, childKey), message }
      pending.push([child, path, childKey])
    }
  }
  return null
}
