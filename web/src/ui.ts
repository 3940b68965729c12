import { ErrorCode } from '../../src/contract/errors.js'
import { plural } from '../../src/contract/units.js'
import { ApiError } from './api.js'
import { h, type Child } from './dom.js'
import type { Page } from './types.js'

// Widgets shared by the views: error messages in plain words, loading states, pagination, dates.

/** What each failure means for the person using the dashboard; the message itself is the API's. */
const HINTS: Partial<Record<number, string>> = {
  [ErrorCode.EntityNotFound]: 'It may have been deleted, or you are not a member of it.',
  [ErrorCode.NoAuthToken]: 'Sign in again with an API token.',
  [ErrorCode.Forbidden]: 'Your role in this workspace does not allow this.',
  [ErrorCode.InvalidToken]:
    'The token was not accepted: check it was pasted completely, or create a new one.',
  [ErrorCode.TokenExpired]: 'The token has expired: create a new one.',
  [ErrorCode.TooManyRequests]: 'Too many requests: wait a moment and try again.',
  [ErrorCode.ActiveSubscriptions]:
    'Cancel the subscriptions listed under “What blocks the deletion”, then try again.',
  [ErrorCode.Internal]:
    'Something went wrong on the server. Try again; if it persists, check the server log.',
  [ErrorCode.Unavailable]: 'The server is temporarily unavailable. Try again shortly.',
  [ErrorCode.ValidationError]: 'Correct the fields named above, then send again.',
  [ErrorCode.PayloadTooLarge]:
    'The file is larger than this server accepts. Upload a smaller one, or ask the operator to raise BUILD_MAX_BYTES.',
  // No answer at all (the request never reached the server).
  0: 'Check your connection and that the orgspace server is running, then try again.',
}

/** `/body/slug` → `slug`, `/querystring/page` → `page`: the field as a user named it. */
function fieldName(path: string): string {
  const name = path.replace(/^\/(body|querystring|params|headers)\/?/, '').replaceAll('/', '.')
  return name || 'request'
}

/** The lines a user reads for a failure: the API's own message first, then what it means for them. */
function describeError(
  error: unknown,
  advice: Partial<Record<number, string>> = {},
): { message: string; details: string[] } {
  if (!(error instanceof ApiError)) {
    return { message: error instanceof Error ? error.message : String(error), details: [] }
  }
  const details = error.fieldErrors.map((f) => `${fieldName(f.path)}: ${f.message}`)
  if (error.reason) details.push(error.reason)
  // What to do about it where it happened ("pick another slug") says more than the general hint.
  const hint = advice[error.code] ?? HINTS[error.code]
  if (hint) details.push(hint)
  return { message: error.message, details }
}

export function errorBox(
  error: unknown,
  prefix?: string,
  advice?: Partial<Record<number, string>>,
): HTMLElement {
  const { message, details } = describeError(error, advice)
  return h(
    'div',
    { class: 'error', role: 'alert' },
    h('p', null, h('strong', null, prefix ? `${prefix}: ${message}` : message)),
    details.length > 0
      ? h(
          'ul',
          null,
          details.map((d) => h('li', null, d)),
        )
      : null,
  )
}

export function notice(text: Child, kind: 'info' | 'success' = 'info'): HTMLElement {
  return h('p', { class: `notice ${kind}`, role: 'status' }, text)
}

export function loading(what = 'Loading'): HTMLElement {
  return h('p', { class: 'muted', role: 'status' }, `${what}…`)
}

export function dateTime(iso: string | null | undefined): Child {
  if (!iso) return '—'
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return iso
  return h(
    'time',
    { datetime: iso },
    date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }),
  )
}

/** Previous / Next buttons for a paginated answer; nothing when everything fits on one page. */
export function pager(page: Page<unknown>, go: (page: number) => void, label: string): HTMLElement | null {
  if (page.totalPages <= 1) return null
  return h(
    'nav',
    { class: 'pager', 'aria-label': `${label} pages` },
    h(
      'button',
      { type: 'button', disabled: !page.hasPrevPage, onClick: () => page.prevPage && go(page.prevPage) },
      'Previous',
    ),
    h('span', null, `Page ${page.page} of ${page.totalPages} (${page.totalDocs} in all)`),
    h(
      'button',
      { type: 'button', disabled: !page.hasNextPage, onClick: () => page.nextPage && go(page.nextPage) },
      'Next',
    ),
  )
}

/** Runs `work` with `button` disabled and marked busy, so a double click cannot send a request twice. */
export async function whileBusy<T>(button: HTMLButtonElement, work: () => Promise<T>): Promise<T> {
  const wasDisabled = button.disabled
  button.disabled = true
  button.setAttribute('aria-busy', 'true')
  try {
    return await work()
  } finally {
    button.removeAttribute('aria-busy')
    button.disabled = wasDisabled
  }
}

/** `apps` → `Apps`, `auditEvents` → `Audit events`. */
export function humanize(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replaceAll('_', ' ')
    .toLowerCase()
  return words.charAt(0).toUpperCase() + words.slice(1)
}

export { plural }

/** Escape in a confirmation answers "no", as it closes a dialog: the box's own cancel button is pressed. */
export function cancelOnEscape(box: HTMLElement, no: HTMLButtonElement): void {
  box.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return
    event.preventDefault()
    no.click()
  })
}

/** A period in the largest whole unit that fits it: "30 days", "6 hours", "90 seconds". */
export function period(seconds: number): string {
  const units: [number, string][] = [
    [86_400, 'day'],
    [3_600, 'hour'],
    [60, 'minute'],
  ]
  for (const [size, name] of units)
    if (seconds >= size && seconds % size === 0) return plural(seconds / size, name)
  return plural(seconds, 'second')
}

/** Hands bytes fetched with the token to the browser as a file download. */
export function saveFile(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob)
  const link = h('a', { href: url, download: fileName, hidden: true })
  document.body.append(link)
  link.click()
  link.remove()
  // The click has started the download; the object URL is only needed until then.
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
