import { api } from '../api.js'
import { h, fill } from '../dom.js'
import { paths } from '../router.js'
import type { Deletion } from '../types.js'
import { dateTime, errorBox, loading } from '../ui.js'
import { focusHeading, isAbort, type ViewContext } from './context.js'
import { resourceLabel } from './danger.js'

const STATUS_TEXT: Record<string, string> = {
  purging: 'Purging: the workspace is already gone for everyone; its data is being erased.',
  completed: 'Completed: every record of the workspace has been erased.',
  failed:
    'The last purge attempt failed; it is retried automatically. The workspace stays unreachable meanwhile.',
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = window.setTimeout(resolve, ms)
    signal.addEventListener('abort', () => (window.clearTimeout(timer), resolve()), { once: true })
  })
}

function receipt(d: Deletion): HTMLElement {
  const counts = Object.entries(d.counts)
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'receipt-h' },
    h('h2', { id: 'receipt-h' }, 'Deletion receipt'),
    h(
      'p',
      { class: `status status-${d.status}`, role: 'status', 'data-status': d.status },
      h('span', { class: `badge status-${d.status}` }, d.status),
      ' ',
      STATUS_TEXT[d.status] ?? '',
    ),
    h(
      'dl',
      { class: 'facts' },
      h('dt', null, 'Workspace'),
      h('dd', null, `${d.organization.name} (${d.organization.slug})`),
      h('dt', null, 'Workspace id'),
      h('dd', null, h('code', null, d.organization.id)),
      h('dt', null, 'Requested by'),
      h('dd', null, d.requestedBy.email),
      h('dt', null, 'Requested'),
      h('dd', null, dateTime(d.requestedAt)),
      h('dt', null, 'Completed'),
      h('dd', null, d.completedAt ? dateTime(d.completedAt) : 'not yet'),
      h('dt', null, 'Receipt id'),
      h('dd', null, h('code', null, d.id)),
      d.error ? [h('dt', null, 'Last error'), h('dd', null, d.error)] : null,
    ),
    h('h3', null, d.status === 'completed' ? 'Removed' : 'Removed so far'),
    counts.length === 0
      ? h('p', { class: 'empty' }, 'Nothing counted yet.')
      : h(
          'ul',
          { class: 'removal', 'aria-label': 'Removed records' },
          counts.map(([key, n]) =>
            h(
              'li',
              { 'data-resource': key },
              h('span', null, resourceLabel(key)),
              h('strong', null, String(n)),
            ),
          ),
        ),
  )
}

/** Follows a deletion receipt until the purge completes (or fails), polling gently. */
export async function renderReceipt(ctx: ViewContext, id: string): Promise<void> {
  const body = h('div')
  fill(
    ctx.main,
    h('p', null, h('a', { href: paths.workspaces() }, '← All workspaces')),
    h('h1', { tabindex: -1 }, 'Workspace deletion'),
    body,
  )
  focusHeading(ctx.main, 'Workspace deletion')
  fill(body, loading('Loading the receipt'))
  let delay = 400
  let shown = ''
  for (;;) {
    try {
      const deletion = await api.deletion(id, ctx.signal)
      // Re-render only on change, so screen readers announce the status once, not on every poll.
      const text = JSON.stringify(deletion)
      if (text !== shown) fill(body, receipt(deletion))
      shown = text
      // A failed purge is retried by the server, so only completion ends the watch.
      if (deletion.status === 'completed') return
    } catch (error) {
      if (isAbort(error)) return
      fill(body, errorBox(error, 'Could not load the receipt'))
      return
    }
    await wait(delay, ctx.signal)
    if (ctx.signal.aborted) return
    delay = Math.min(delay * 1.5, 3000)
  }
}
