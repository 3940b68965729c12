import { AUDIT_ACTIONS } from '../../../src/contract/audit.js'
import { api } from '../api.js'
import { h, fill, uid } from '../dom.js'
import { ACTION_LABELS, describeEvent, KIND_LABELS } from '../history.js'
import type { AuditEvent } from '../types.js'
import { dateTime, errorBox, loading, whileBusy } from '../ui.js'
import { isAbort } from './context.js'
import { filtersInUrl } from './manage.js'
import type { WorkspaceContext } from './workspace-context.js'

const PAGE_SIZE = 25

/** One event: the sentence, then when and the action's code (for a search in the API's answers). */
function historyItem(event: AuditEvent): HTMLElement {
  return h(
    'li',
    { class: 'history-entry', 'data-action': event.action },
    h('span', { class: 'history-text' }, describeEvent(event)),
    h('br'),
    h('span', { class: 'muted' }, dateTime(event.createdAt), ' · ', h('code', null, event.action)),
  )
}

/** The start or end of a day picked in a date field, in the user's own time zone, as the API's instant. */
function dayBound(day: string, end: boolean): string | undefined {
  if (!day) return undefined
  const local = new Date(`${day}T${end ? '23:59:59.999' : '00:00:00'}`)
  return Number.isNaN(local.getTime()) ? undefined : local.toISOString()
}

/** The action filter: everything, a kind of entity (`device.`), or one action, grouped by kind. */
function actionSelect(id: string): HTMLSelectElement {
  const groups = Object.entries(KIND_LABELS).map(([prefix, label]) =>
    h(
      'optgroup',
      { label },
      h('option', { value: prefix }, `All: ${label.toLowerCase()}`),
      AUDIT_ACTIONS.filter((action) => action.startsWith(prefix)).map((action) =>
        h('option', { value: action }, ACTION_LABELS[action]),
      ),
    ),
  )
  return h('select', { id, name: 'action' }, h('option', { value: '' }, 'All actions'), groups)
}

/** The workspace's history in words, newest first, narrowed by action and dates, loaded a page at a time. */
export async function renderHistory(ctx: WorkspaceContext): Promise<void> {
  const ref = ctx.org.id
  const ids = { action: uid('history-action'), from: uid('history-from'), to: uid('history-to') }
  const action = actionSelect(ids.action)
  const from = h('input', { id: ids.from, name: 'from', type: 'date' })
  const to = h('input', { id: ids.to, name: 'to', type: 'date' })
  const summary = h('p', { class: 'muted', role: 'status', 'aria-live': 'polite' })
  const list = h('ul', { class: 'rows history', 'aria-label': 'History' })
  const more = h('div')
  const saveFilters = filtersInUrl({ action, from, to })
  let page = 0
  let loaded = 0
  // A new search cancels the page still loading for the previous one.
  let search: AbortController | null = null

  const load = async (next: number, button?: HTMLButtonElement) => {
    search?.abort()
    const controller = new AbortController()
    search = controller
    ctx.signal.addEventListener('abort', () => controller.abort(), { once: true })
    if (next === 1) {
      saveFilters()
      if (from.value && to.value && to.value < from.value) {
        fill(list)
        fill(summary)
        fill(more, h('p', { class: 'error', role: 'alert' }, 'The “To” date is before the “From” date.'))
        return
      }
      fill(list)
      fill(more)
      fill(summary, loading('Loading the history'))
    }
    try {
      const fetchPage = () =>
        api.audit(ref, {
          page: next,
          limit: PAGE_SIZE,
          action: action.value || undefined,
          dateIni: dayBound(from.value, false),
          dateEnd: dayBound(to.value, true),
          signal: controller.signal,
        })
      const data = button ? await whileBusy(button, fetchPage) : await fetchPage()
      page = data.page
      loaded = next === 1 ? data.items.length : loaded + data.items.length
      list.append(...data.items.map(historyItem))
      fill(
        summary,
        data.totalDocs === 0
          ? 'Nothing recorded matches these filters.'
          : `Showing ${loaded} of ${data.totalDocs} ${data.totalDocs === 1 ? 'event' : 'events'}.`,
      )
      const loadMore = h('button', { type: 'button' }, 'Load more')
      loadMore.addEventListener('click', () => void load(page + 1, loadMore))
      fill(more, data.hasNextPage ? loadMore : null)
    } catch (error) {
      if (isAbort(error)) return
      fill(summary)
      fill(more, errorBox(error, 'Could not load the history'))
    }
  }

  const form = h(
    'form',
    {
      class: 'filters',
      'aria-label': 'Filter the history',
      onSubmit: (event: Event) => {
        event.preventDefault()
        void load(1)
      },
    },
    h('div', null, h('label', { for: ids.action }, 'Action'), action),
    h('div', null, h('label', { for: ids.from }, 'From'), from),
    h('div', null, h('label', { for: ids.to }, 'To'), to),
    h('div', null, h('button', { type: 'submit' }, 'Apply filters')),
  )
  // Choosing an action applies at once; dates wait for the button, so typing one does not reload on each key.
  action.addEventListener('change', () => void load(1))

  fill(
    ctx.panel,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'history-h' },
      h('h2', { id: 'history-h' }, 'History'),
      form,
      summary,
      list,
      more,
    ),
  )
  await load(1)
}
