import '../styles/manage.css'
import { h, fill, uid, type Child } from '../dom.js'
import type { Page } from '../types.js'
import { cancelOnEscape, errorBox, loading, pager, plural, whileBusy } from '../ui.js'
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
  /** The list's filters, by the name each has in the page's address (see filtersInUrl). */
  filters?: Record<string, FilterControl>
}): PagedList {
  const saveFilters = filtersInUrl(options.filters ?? {})
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
    saveFilters()
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

type FilterControl = HTMLInputElement | HTMLSelectElement

/**
 * Filters kept in the page's address, so that a reload, a bookmark or a shared link shows the same list: each
 * control starts from its parameter, and the returned function writes the controls' values back (replacing the
 * history entry: typing in a search box is not a trail of pages for Back).
 */
export function filtersInUrl(controls: Record<string, FilterControl>): () => void {
  const query = new URLSearchParams(location.search)
  for (const [name, control] of Object.entries(controls)) {
    const value = query.get(name)
    if (value !== null) control.value = value
  }
  return () => {
    const next = new URLSearchParams(location.search)
    for (const [name, control] of Object.entries(controls)) {
      const value = control.value.trim()
      if (value) next.set(name, value)
      else next.delete(name)
    }
    const search = next.toString()
    const url = `${location.pathname}${search ? `?${search}` : ''}`
    if (url !== location.pathname + location.search) history.replaceState(history.state, '', url)
  }
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
    cancelOnEscape(box, no)
    row.append(box)
    yes.focus()
  })
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
