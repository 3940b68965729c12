import type { User } from '../types.js'

/** What every view gets: where to render, a signal that fires when the user navigates away, and who they are. */
export interface ViewContext {
  main: HTMLElement
  signal: AbortSignal
  user: User
}

let pendingFlash: { text: string; kind: 'info' | 'success' } | null = null

/** A message for the next view to show (after a redirect: "Signed out", "Workspace deleted", …). */
export function flash(text: string, kind: 'info' | 'success' = 'info'): void {
  pendingFlash = { text, kind }
}

export function takeFlash(): { text: string; kind: 'info' | 'success' } | null {
  const value = pendingFlash
  pendingFlash = null
  return value
}

/** True when a fetch was cancelled because the view went away: nothing to show then. */
export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError'
}

/**
 * After navigation, moves focus to the page heading so keyboard and screen-reader users start at the new
 * content — unless the user already put focus somewhere (typing in a field while the page loads).
 */
export function focusHeading(main: HTMLElement, title: string): void {
  document.title = `${title} — orgspace`
  const active = document.activeElement
  if (active && active !== document.body && active.isConnected) return
  main.querySelector<HTMLElement>('h1')?.focus()
}
