import { Type } from 'typebox'
import { TRIM } from './validation.js'

/**
 * A name or label typed by a person: trimmed on the way in (stored without surrounding whitespace), and, when
 * required, refused as blank if nothing is left — a name of only spaces cannot be shown or told apart.
 * Optional names (`minLength: 0`) may be left empty.
 */
export function Name(options: { maxLength: number; minLength?: 0 | 1; description?: string }) {
  return Type.String({ minLength: 1, ...options, [TRIM]: true })
}
