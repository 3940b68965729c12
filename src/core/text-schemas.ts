import { Type } from 'typebox'

/**
 * Schema keyword for names and labels: the value is trimmed before its other string keywords run, so
 * `minLength: 1` refuses a name of only whitespace and what is stored is what the length limits checked.
 * The `x-` prefix makes it an OpenAPI extension, which the document may carry.
 */
export const TRIM = 'x-trim'

/**
 * A name or label typed by a person: trimmed on the way in (stored without surrounding whitespace), and, when
 * required, refused as blank if nothing is left — a name of only spaces cannot be shown or told apart.
 * Optional names (`minLength: 0`) may be left empty.
 */
export function Name(options: { maxLength: number; minLength?: 0 | 1; description?: string }) {
  return Type.String({ minLength: 1, ...options, [TRIM]: true })
}
