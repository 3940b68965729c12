/** The JSON-pointer-like path of the first string (or key) holding a NUL character, or null when none does. */
export function nulPath(value: unknown, path = ''): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path || '/' : null
  if (value === null || typeof value !== 'object') return null
  for (const [key, item] of Object.entries(value)) {
    const at = `${path}/${key}`
    if (key.includes('\u0000')) return at
    const found = nulPath(item, at)
    if (found) return found
  }
  return null
}
