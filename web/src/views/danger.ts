import { ErrorCode } from '../../../src/contract/errors.js'
import { resourceNamed } from '../../../src/contract/resources.js'
import { formatBytes } from '../../../src/contract/units.js'
import { api, ApiError } from '../api.js'
import { h, fill, uid } from '../dom.js'
import { navigate, paths } from '../router.js'
import type { Blocker, DeletionPreview } from '../types.js'
import { cancelOnEscape, errorBox, humanize, loading, period, whileBusy } from '../ui.js'
import { flash, isAbort } from './context.js'
import { exportFirst } from './export-first.js'
import { P, type WorkspaceContext } from './workspace-context.js'

/** What each count of the deletion preview means to a person (contract/resources.ts); `bytes` are the builds' files. */
export function resourceLabel(key: string): string {
  return key === 'bytes' ? 'Stored build files' : (resourceNamed(key)?.label ?? humanize(key))
}

/** A count as people read it: `bytes` (the builds' files) in KB, MB, GB; every other resource as a number. */
export function countText(key: string, n: number): string {
  return key === 'bytes' ? formatBytes(n) : String(n)
}

function countsList(counts: Record<string, number>, label: string): HTMLElement {
  const entries = Object.entries(counts)
  if (entries.length === 0) return h('p', { class: 'empty' }, 'Nothing but the workspace itself.')
  return h(
    'ul',
    { class: 'removal', 'aria-label': label },
    entries.map(([key, n]) =>
      h(
        'li',
        { 'data-resource': key },
        h('span', null, resourceLabel(key)),
        h('strong', null, countText(key, n)),
      ),
    ),
  )
}

/** Someone who may export but not delete (an admin): the export alone, and who can delete. */
function renderExportOnly(ctx: WorkspaceContext): void {
  const { button, status } = exportFirst(ctx)
  fill(
    ctx.panel,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'export-h' },
      h('h2', { id: 'export-h' }, 'Export this workspace'),
      h(
        'p',
        null,
        'Downloads everything in ',
        h('strong', null, ctx.org.name),
        ' as one archive: collaborators, applications and their builds, device enrollments, subscriptions and historical data. ',
        'Only the owner can delete the workspace.',
      ),
      h('div', { class: 'actions' }, button),
      status,
    ),
  )
}

export async function renderDanger(ctx: WorkspaceContext): Promise<void> {
  if (!ctx.can(P.remove)) return renderExportOnly(ctx)
  const { org } = ctx
  const exporter = ctx.can(P.exportData) ? exportFirst(ctx) : null
  const plans = new Map(org.subscriptions.map((s) => [s.id, s.plan]))
  const previewBox = h('div')
  const feedback = h('div', { 'aria-live': 'assertive' })
  const blockersHeadingId = uid('blockers')

  const blockerItem = (blocker: Blocker): HTMLElement => {
    const plan = plans.get(blocker.id ?? '')
    const what =
      blocker.type === 'subscription'
        ? `The ${plan ? `${plan} subscription` : 'subscription'} is ${blocker.status}`
        : blocker.type === 'legal_hold'
          ? `A legal hold is placed on this workspace${blocker.reason ? `: ${blocker.reason}` : ''}. Only an operator can release it.`
          : `${humanize(blocker.type)}${blocker.id ? ` ${blocker.id}` : ''}${blocker.status ? ` is ${blocker.status}` : ''}`
    const row = h('li', { class: 'blocker', 'data-blocker': blocker.id }, h('span', null, what))
    if (blocker.type === 'subscription' && ctx.can(P.billingCancel)) {
      const cancel = h('button', { type: 'button' }, `Cancel ${plan ? `${plan} ` : ''}subscription…`)
      cancel.addEventListener('click', () => confirmCancel(row, cancel, blocker, plan))
      row.append(cancel)
    } else if (blocker.type === 'subscription') {
      row.append(h('span', { class: 'muted' }, ' Only the owner can cancel it.'))
    }
    return row
  }

  const confirmCancel = (row: HTMLElement, cancel: HTMLButtonElement, blocker: Blocker, plan?: string) => {
    cancel.hidden = true
    const yes = h('button', { type: 'button', class: 'danger' }, 'Yes, cancel the subscription')
    const no = h('button', { type: 'button' }, 'Keep it')
    const box = h(
      'div',
      { class: 'confirm', role: 'group', 'aria-label': 'Confirm cancellation' },
      h('p', null, `Cancel the ${plan ?? ''} subscription now? It stops at once and cannot be resumed.`),
      h('div', { class: 'actions' }, yes, no),
    )
    yes.addEventListener('click', async () => {
      try {
        await whileBusy(yes, () => api.cancelSubscription(org.id, blocker.id ?? ''))
        fill(feedback)
        await loadPreview()
      } catch (error) {
        box.replaceWith(errorBox(error, 'Subscription not cancelled'))
        cancel.hidden = false
      }
    })
    no.addEventListener('click', () => {
      box.remove()
      cancel.hidden = false
      cancel.focus()
    })
    cancelOnEscape(box, no)
    row.append(box)
    yes.focus()
  }

  // While the preview lists a blocker, the Delete button stays locked whatever is typed, and says why.
  let blocked = false
  const lock = () => {
    remove.disabled = blocked || confirmInput.value !== org.slug
    fill(
      confirmHelp,
      blocked
        ? 'Deletion is locked while something above blocks it: resolve each blocker first.'
        : 'The button unlocks when the slug matches exactly.',
    )
  }

  // Which behaviour this instance has: an immediate purge, or a period in which the deletion can be undone.
  const behaviour = h('p', { class: 'behaviour' })
  const showPreview = (preview: DeletionPreview) => {
    blocked = preview.blockers.length > 0
    lock()
    fill(
      behaviour,
      preview.graceSeconds === 0
        ? h('strong', null, 'This cannot be undone: ')
        : h('strong', null, `For ${period(preview.graceSeconds)} this can be undone: `),
      preview.graceSeconds === 0
        ? 'on this instance the data is erased as soon as you confirm.'
        : 'on this instance the data is kept until then, and the deletion receipt offers to restore the workspace; after that it is erased for good.',
    )
    fill(
      previewBox,
      h('h3', null, 'What will be removed'),
      countsList(preview.counts, 'What will be removed'),
      h('h3', { id: blockersHeadingId, tabindex: -1 }, 'What blocks the deletion'),
      preview.blockers.length === 0
        ? h('p', { class: 'ok', role: 'status' }, 'Nothing: the workspace can be deleted.')
        : h(
            'ul',
            { class: 'blockers', 'aria-labelledby': blockersHeadingId },
            preview.blockers.map(blockerItem),
          ),
    )
  }

  const loadPreview = async () => {
    try {
      showPreview(await api.deletionPreview(org.id, ctx.signal))
    } catch (error) {
      if (!isAbort(error)) fill(previewBox, errorBox(error, 'Could not load what deletion would remove'))
    }
  }

  const confirmId = uid('confirm-slug')
  const confirmHelpId = uid('confirm-help')
  const confirmHelp = h(
    'p',
    { id: confirmHelpId, class: 'help' },
    'The button unlocks when the slug matches exactly.',
  )
  const remove = h(
    'button',
    { type: 'submit', class: 'danger', disabled: true },
    `Delete ${org.name} permanently`,
  )
  const confirmInput = h('input', {
    id: confirmId,
    autocomplete: 'off',
    spellcheck: false,
    autocapitalize: 'off',
    'aria-describedby': confirmHelpId,
    onInput: () => lock(),
  })

  const submit = async (event: Event) => {
    event.preventDefault()
    if (blocked || confirmInput.value !== org.slug) return
    fill(feedback)
    try {
      const result = await whileBusy(remove, () => api.deleteOrganization(org.id))
      const until = result.purgeAt
        ? ` It can be restored until ${new Date(result.purgeAt).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })}.`
        : ''
      flash(`${org.name} was deleted. It no longer appears in your workspaces.${until}`, 'success')
      navigate(result.deletionId ? paths.deletion(result.deletionId) : paths.workspaces())
    } catch (error) {
      fill(feedback, errorBox(error, 'Not deleted'))
      if (error instanceof ApiError && error.code === ErrorCode.ActiveSubscriptions) {
        await loadPreview()
        document.getElementById(blockersHeadingId)?.focus()
      }
    }
  }

  fill(
    ctx.panel,
    h(
      'section',
      { class: 'card danger-zone', 'aria-labelledby': 'danger-h' },
      h('h2', { id: 'danger-h' }, 'Delete this workspace'),
      h(
        'p',
        null,
        'Permanently deletes ',
        h('strong', null, org.name),
        ' and everything in it: applications, device enrollments, user assignments and historical data. ',
        'People keep their own accounts and their other workspaces. ',
        'Active subscriptions must be cancelled first.',
        exporter ? ' To keep a copy, export first: an archive that can be imported again.' : null,
      ),
      behaviour,
      previewBox,
      h(
        'form',
        { class: 'confirm-delete', onSubmit: submit },
        h('label', { for: confirmId }, 'To confirm, type the slug ', h('code', null, org.slug)),
        confirmHelp,
        confirmInput,
        feedback,
        h('div', { class: 'actions' }, exporter?.button, remove),
        exporter?.status,
      ),
    ),
  )
  fill(previewBox, loading('Loading what deletion would remove'))
  await loadPreview()
}
