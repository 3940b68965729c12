import { api } from '../api.js'
import { h, fill } from '../dom.js'
import { navigate, paths } from '../router.js'
import type { Deletion } from '../types.js'
import { dateTime, errorBox, loading, saveFile, whileBusy } from '../ui.js'
import { flash, focusHeading, isAbort, type ViewContext } from './context.js'
import { countText, resourceLabel } from './danger.js'

const STATUS_TEXT: Record<string, string> = {
  scheduled:
    'Scheduled: the workspace is already gone for everyone, but nothing is erased until the purge starts. Until then it can be restored.',
  purging: 'Purging: the workspace is already gone for everyone; its data is being erased.',
  completed: 'Completed: every record of the workspace has been erased.',
  failed:
    'The last purge attempt failed; it is retried automatically. The workspace stays unreachable meanwhile.',
  restored: 'Restored: the workspace is back as it was, with its people, applications, builds and history.',
}

/** Purges that are over: restored or completed receipts do not change any more. */
const FINAL = new Set(['completed', 'restored'])

/** "12 of 40" while purging with the counts taken at deletion time; the plain count otherwise. */
function progress(key: string, n: number, expected: Record<string, number> | null): string {
  const total = expected?.[key]
  return total === undefined ? countText(key, n) : `${countText(key, n)} of ${countText(key, total)}`
}

/** Brings a scheduled deletion's workspace back, then opens it. */
function restoreButton(d: Deletion): HTMLElement {
  const feedback = h('div', { 'aria-live': 'polite' })
  const button = h('button', { type: 'button', class: 'primary' }, `Restore ${d.organization.name}`)
  button.addEventListener('click', async () => {
    fill(feedback)
    try {
      await whileBusy(button, () => api.restoreDeletion(d.id))
      flash(`${d.organization.name} was restored.`, 'success')
      navigate(paths.workspace(d.organization.id))
    } catch (error) {
      fill(feedback, errorBox(error, 'Not restored'))
    }
  })
  return h('div', { class: 'restore' }, feedback, h('div', { class: 'actions' }, button))
}

/**
 * The signed certificate of a completed deletion, saved as a file anyone can verify offline (`npx orgspace
 * certificate verify`, or any JOSE library with the server's /.well-known/jwks.json).
 */
function certificateButton(d: Deletion): HTMLElement {
  const feedback = h('div', { 'aria-live': 'polite' })
  const button = h('button', { type: 'button' }, 'Download certificate')
  button.addEventListener('click', async () => {
    fill(feedback)
    try {
      const { certificate } = await whileBusy(button, () => api.deletionCertificate(d.id))
      saveFile(new Blob([`${certificate}\n`], { type: 'application/jwt' }), `deletion-${d.id}.jwt`)
      fill(feedback, h('p', { class: 'ok' }, `Saved deletion-${d.id}.jwt: a signed proof of this deletion.`))
    } catch (error) {
      fill(feedback, errorBox(error, 'No certificate'))
    }
  })
  return h('div', { class: 'certificate' }, h('div', { class: 'actions' }, button), feedback)
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = window.setTimeout(resolve, ms)
    signal.addEventListener('abort', () => (window.clearTimeout(timer), resolve()), { once: true })
  })
}

/** What the purge has removed so far, beside what there was to remove. */
function removed(d: Deletion): HTMLElement[] {
  const counts = Object.entries(d.counts)
  return [
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
              h('strong', null, progress(key, n, d.status === 'completed' ? null : d.expected)),
            ),
          ),
        ),
  ]
}

function receipt(d: Deletion): HTMLElement {
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
      d.purgeAt ? [h('dt', null, 'Purge starts'), h('dd', null, dateTime(d.purgeAt))] : null,
      d.restoredAt
        ? [h('dt', null, 'Restored'), h('dd', null, dateTime(d.restoredAt))]
        : [h('dt', null, 'Completed'), h('dd', null, d.completedAt ? dateTime(d.completedAt) : 'not yet')],
      d.waitingFor ? [h('dt', null, 'Waiting for'), h('dd', null, d.waitingFor)] : null,
      h('dt', null, 'Receipt id'),
      h('dd', null, h('code', null, d.id)),
      d.error ? [h('dt', null, 'Last error'), h('dd', null, d.error)] : null,
      d.replayOf
        ? [
            h('dt', null, 'Deleted again'),
            h(
              'dd',
              null,
              'after a restored backup brought it back (receipt ',
              h('code', null, d.replayOf),
              ')',
            ),
          ]
        : null,
    ),
    d.status === 'completed' ? certificateButton(d) : null,
    d.status === 'scheduled' ? restoreButton(d) : null,
    d.status === 'scheduled' || d.status === 'restored' ? null : removed(d),
  )
}

/** Follows a deletion receipt until the purge completes or the workspace is restored, polling gently. */
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
      if (FINAL.has(deletion.status)) return
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
