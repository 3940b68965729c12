import '../styles/manage.css'
import { h, fill, uid, type Child } from '../dom.js'
import type { Page } from '../types.js'
import { errorBox, loading, pager, plural, whileBusy } from '../ui.js'
import { isAbort } from './context.js'

// Pieces shared by the pages that manage a workspace's resources: a paginated list that reloads itself, a
// labelled field, and the confirm-before-acting step the danger zone uses for anything that cannot be undone.

export const PAGE_SIZE = 20

export interface PagedList {
  element: HTMLElement
  /** Loads `page` (default: the page shown now, e.g. after a change to one of its items). */
  load(page?: number): Promise<void>
}

/**
 * A list of one page at a time with its count and Previous/Next. `row` gets a reload to call after a change;
 * when the last item of a page goes, the previous page is shown.
 */
export function pagedList<T>(options: {
  label: string
  noun: [string, string]
  signal: AbortSignal
  fetch: (page: number, signal: AbortSignal) => Promise<Page<T>>
  row: (item: T, reload: () => void) => HTMLElement
  empty: () => Child
  /** What to do about a failure to load, per error code, where the general hint would mislead. */
  advice?: Partial<Record<number, string>>
}): PagedList {
  const element = h('div', { class: 'paged' })
  const summary = h('p', { class: 'muted count', role: 'status' })
  const body = h('div')
  element.append(summary, body)
  let current = 1
  let pending: AbortController | null = null
  const load = async (page = current): Promise<void> => {
    pending?.abort()
    pending = new AbortController()
    const signal = AbortSignal.any([options.signal, pending.signal])
    if (body.childElementCount === 0) fill(body, loading())
    element.setAttribute('aria-busy', 'true')
    try {
      const data = await options.fetch(page, signal)
      if (data.items.length === 0 && page > 1) return await load(page - 1)
      current = data.page
      fill(summary, data.totalDocs === 0 ? '' : plural(data.totalDocs, ...options.noun))
      fill(
        body,
        data.items.length === 0
          ? h('p', { class: 'empty' }, options.empty())
          : h(
              'ul',
              { class: 'rows items', 'aria-label': options.label },
              data.items.map((item) => options.row(item, () => void load())),
            ),
        pager(data, (p) => void load(p), options.label),
      )
    } catch (error) {
      if (!isAbort(error))
        fill(body, errorBox(error, `Could not load ${options.label.toLowerCase()}`, options.advice))
    } finally {
      if (!signal.aborted) element.removeAttribute('aria-busy')
    }
  }
  return { element, load }
}

/** A label, an optional help line tied to the control, and the control. */
export function field(
  label: string,
  control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement,
  help?: string,
): Child[] {
  if (!control.id) control.id = uid('field')
  const helpId = help ? `${control.id}-help` : null
  if (helpId) control.setAttribute('aria-describedby', helpId)
  return [
    h('label', { for: control.id }, label),
    helpId ? h('p', { id: helpId, class: 'help' }, help) : null,
    control,
  ]
}

export function select(options: [value: string, label: string][], value = ''): HTMLSelectElement {
  return h(
    'select',
    null,
    options.map(([v, label]) => h('option', { value: v, selected: v === value }, label)),
  )
}

/**
 * Puts a confirmation under `row` in place of `trigger`: `run` only after "yes"; a failure is shown there, in
 * plain words, and the trigger comes back.
 */
export function confirmFirst(
  row: HTMLElement,
  trigger: HTMLButtonElement,
  options: {
    question: Child
    yes: string
    no: string
    failure: string
    advice?: Partial<Record<number, string>>
    run: () => Promise<void>
  },
): void {
  trigger.addEventListener('click', () => {
    row.querySelector(':scope > .confirm, :scope > .error')?.remove()
    trigger.hidden = true
    const yes = h('button', { type: 'button', class: 'danger' }, options.yes)
    const no = h('button', { type: 'button' }, options.no)
    const box = h(
      'div',
      { class: 'confirm', role: 'group', 'aria-label': options.yes },
      h('p', null, options.question),
      h('div', { class: 'actions' }, yes, no),
    )
    yes.addEventListener('click', async () => {
      try {
        await whileBusy(yes, options.run)
      } catch (error) {
        box.replaceWith(errorBox(error, options.failure, options.advice))
        trigger.hidden = false
        trigger.focus()
      }
    })
    no.addEventListener('click', () => {
      box.remove()
      trigger.hidden = false
      trigger.focus()
    })
    row.append(box)
    yes.focus()
  })
}

/** 1536 → "1.5 KB": sizes as people read them. */
export function bytes(n: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB']
  let value = n
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit += 1
  }
  return unit === 0 ? plural(n, 'byte') : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`
}

/** A section card with a heading, the way every page is laid out. */
export function card(id: string, title: string, ...children: Child[]): HTMLElement {
  return h(
    'section',
    { class: 'card', id, 'aria-labelledby': `${id}-h` },
    h('h2', { id: `${id}-h` }, title),
    ...children,
  )
}
