import { api } from '../api.js'
import { h, fill } from '../dom.js'
import type { Subscription } from '../types.js'
import { dateTime, errorBox, notice, whileBusy } from '../ui.js'
import { card, confirmFirst, field, pagedList, PAGE_SIZE, select, type PagedList } from './manage.js'
import { P, type WorkspaceContext } from './workspace-context.js'

// Subscriptions (billing, the owner's): the plans this workspace pays for, starting one, cancelling one (a live
// subscription blocks deleting the workspace).

const LIVE = new Set(['active', 'trialing', 'past_due'])

function subscriptionRow(ctx: WorkspaceContext, s: Subscription, reload: () => void): HTMLElement {
  const row = h(
    'li',
    { class: 'item', 'data-subscription': s.id },
    h(
      'div',
      { class: 'item-main' },
      h('strong', null, s.plan),
      ' ',
      h('span', { class: `badge status-${s.status}` }, s.status.replace('_', ' ')),
      h('br'),
      h(
        'span',
        { class: 'muted small' },
        'Started ',
        dateTime(s.createdAt),
        s.canceledAt ? [' · cancelled ', dateTime(s.canceledAt)] : null,
      ),
    ),
  )
  if (LIVE.has(s.status) && ctx.can(P.billingCancel)) {
    const cancel = h('button', { type: 'button', class: 'small' }, `Cancel ${s.plan}…`)
    row.append(h('div', { class: 'item-actions' }, cancel))
    confirmFirst(row, cancel, {
      question: `Cancel the ${s.plan} subscription now? It stops at once and cannot be resumed; you can start a new one.`,
      yes: 'Yes, cancel the subscription',
      no: 'Keep it',
      failure: 'Subscription not cancelled',
      run: async () => {
        await api.cancelSubscription(ctx.org.id, s.id)
        reload()
      },
    })
  }
  return row
}

function startForm(ctx: WorkspaceContext, list: PagedList): HTMLElement {
  const plan = h('input', { required: true, maxLength: 64, autocomplete: 'off', list: 'plan-names' })
  const feedback = h('div', { 'aria-live': 'polite' })
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Start subscription')
  return card(
    'start',
    'Start a subscription',
    h(
      'form',
      {
        onSubmit: async (event: Event) => {
          event.preventDefault()
          fill(feedback)
          try {
            const started = await whileBusy(submit, () =>
              api.startSubscription(ctx.org.id, plan.value.trim()),
            )
            plan.value = ''
            fill(feedback, notice(`The ${started.plan} subscription is ${started.status}.`, 'success'))
            await list.load(1)
          } catch (error) {
            fill(feedback, errorBox(error, 'Not started'))
          }
        },
      },
      field('Plan', plan, 'The plan’s name as your billing uses it, e.g. business.'),
      h(
        'datalist',
        { id: 'plan-names' },
        ['starter', 'business', 'enterprise'].map((p) => h('option', { value: p })),
      ),
      feedback,
      h('div', { class: 'actions' }, submit),
    ),
  )
}

export async function renderSubscriptions(ctx: WorkspaceContext): Promise<void> {
  const statusFilter = select([
    ['', 'Every status'],
    ['active', 'Active'],
    ['trialing', 'Trialing'],
    ['past_due', 'Past due'],
    ['canceled', 'Cancelled'],
  ])
  const list = pagedList<Subscription>({
    label: 'Subscriptions',
    noun: ['subscription', 'subscriptions'],
    signal: ctx.signal,
    fetch: (page, signal) =>
      api.subscriptions(ctx.org.id, {
        page,
        limit: PAGE_SIZE,
        signal,
        status: statusFilter.value || undefined,
      }),
    row: (s, reload) => subscriptionRow(ctx, s, reload),
    empty: () => (statusFilter.value ? 'No subscription has this status.' : 'No subscriptions.'),
  })
  statusFilter.addEventListener('change', () => void list.load(1))
  fill(
    ctx.panel,
    card(
      'subscription-list',
      'Subscriptions',
      h(
        'form',
        { role: 'search', class: 'filters', onSubmit: (e: Event) => e.preventDefault() },
        h('div', null, field('Show status', statusFilter)),
      ),
      list.element,
    ),
    ctx.can(P.billingCreate) ? startForm(ctx, list) : null,
  )
  await list.load(1)
}
