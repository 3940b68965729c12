import { api } from '../api.js'
import { fill, h, uid } from '../dom.js'
import type { Webhook, WebhookDelivery } from '../types.js'
import { dateTime, errorBox, loading, notice, pager, whileBusy } from '../ui.js'
import { isAbort } from './context.js'
import type { WorkspaceContext } from './workspace-context.js'

// Settings › Webhooks: the organization's endpoints, adding one (its secret shown once), and per endpoint its
// delivery log with a retry for what was delivered or given up, and a test event.

function deliveryRow(ctx: WorkspaceContext, endpoint: Webhook, d: WebhookDelivery, reload: () => void) {
  const retry =
    d.status === 'pending' || !endpoint.enabled
      ? null
      : h('button', { type: 'button', class: 'small' }, 'Retry')
  retry?.addEventListener('click', async () => {
    try {
      await whileBusy(retry, () => api.retryDelivery(ctx.org.id, endpoint.id, d.id))
      reload()
    } catch (error) {
      retry.replaceWith(errorBox(error, 'Not retried'))
    }
  })
  const answer = d.responseStatus === null ? 'no answer' : `HTTP ${d.responseStatus}`
  return h(
    'li',
    null,
    h('strong', null, d.eventType),
    ` — ${d.status}, attempt ${d.attempt}, ${d.attempt === 0 ? 'not sent yet' : answer}`,
    d.status === 'pending' && d.nextAttemptAt ? [' — next ', dateTime(d.nextAttemptAt)] : null,
    ' ',
    retry,
  )
}

function deliveryLog(ctx: WorkspaceContext, endpoint: Webhook): HTMLElement {
  const body = h('div', { 'aria-live': 'polite' })
  const load = async (page: number) => {
    fill(body, loading('Loading deliveries'))
    try {
      const data = await api.webhookDeliveries(ctx.org.id, endpoint.id, {
        page,
        limit: 10,
        signal: ctx.signal,
      })
      fill(
        body,
        data.items.length === 0
          ? h('p', { class: 'empty' }, 'Nothing sent yet.')
          : h(
              'ul',
              { class: 'rows', 'aria-label': `Deliveries to ${endpoint.url}` },
              data.items.map((d) => deliveryRow(ctx, endpoint, d, () => void load(page))),
            ),
        pager(data, (p) => void load(p), 'Deliveries'),
      )
    } catch (error) {
      if (!isAbort(error)) fill(body, errorBox(error))
    }
  }
  void load(1)
  return body
}

function endpointItem(ctx: WorkspaceContext, endpoint: Webhook, reload: () => void): HTMLElement {
  const log = h('div')
  const feedback = h('div', { 'aria-live': 'polite' })
  const button = (label: string, action: (b: HTMLButtonElement) => Promise<void>) => {
    const b = h('button', { type: 'button' }, label)
    b.addEventListener('click', async () => {
      fill(feedback)
      try {
        await whileBusy(b, () => action(b))
      } catch (error) {
        fill(feedback, errorBox(error, `${label}: failed`))
      }
    })
    return b
  }
  const showLog = () => fill(log, deliveryLog(ctx, endpoint))
  return h(
    'li',
    null,
    h('p', null, h('strong', null, endpoint.url), endpoint.enabled ? '' : ' (disabled)'),
    h(
      'p',
      { class: 'help' },
      `Events: ${endpoint.events.join(', ')}`,
      endpoint.description ? ` — ${endpoint.description}` : '',
    ),
    h(
      'div',
      { class: 'actions' },
      button('Deliveries', async () => showLog()),
      endpoint.enabled
        ? button('Send test', async () => {
            await api.testWebhook(ctx.org.id, endpoint.id)
            fill(feedback, notice('Test event queued.', 'success'))
            showLog()
          })
        : null,
      button(endpoint.enabled ? 'Disable' : 'Enable', async () => {
        await api.updateWebhook(ctx.org.id, endpoint.id, { enabled: !endpoint.enabled })
        reload()
      }),
      button('Remove', async () => {
        await api.removeWebhook(ctx.org.id, endpoint.id)
        reload()
      }),
    ),
    feedback,
    log,
  )
}

function addForm(ctx: WorkspaceContext, added: (secret: string) => void): HTMLElement {
  const urlId = uid('webhook-url')
  const eventsId = uid('webhook-events')
  const url = h('input', { id: urlId, type: 'url', required: true, placeholder: 'https://example.com/hooks' })
  const events = h('input', {
    id: eventsId,
    value: '*',
    required: true,
    'aria-describedby': `${eventsId}-help`,
  })
  const feedback = h('div', { 'aria-live': 'polite' })
  const save = h('button', { type: 'submit', class: 'primary' }, 'Add endpoint')
  return h(
    'form',
    {
      onSubmit: async (event: Event) => {
        event.preventDefault()
        fill(feedback)
        const list = events.value
          .split(',')
          .map((e) => e.trim())
          .filter((e) => e !== '')
        try {
          const made = await whileBusy(save, () =>
            api.createWebhook(ctx.org.id, { url: url.value.trim(), events: list }),
          )
          url.value = ''
          added(made.secret)
        } catch (error) {
          fill(feedback, errorBox(error, 'Not added'))
        }
      },
    },
    h('label', { for: urlId }, 'Endpoint URL'),
    url,
    h('label', { for: eventsId }, 'Events'),
    h(
      'p',
      { id: `${eventsId}-help`, class: 'help' },
      '* for every event, or types separated by commas (app.created, …).',
    ),
    events,
    feedback,
    h('div', { class: 'actions' }, save),
  )
}

/** The Webhooks card of Settings, for owners and admins. */
export function webhooksSection(ctx: WorkspaceContext): HTMLElement {
  const secretBox = h('div', { 'aria-live': 'polite' })
  const list = h('div')
  const load = async () => {
    fill(list, loading('Loading endpoints'))
    try {
      const page = await api.webhooks(ctx.org.id, { limit: 100, signal: ctx.signal })
      fill(
        list,
        page.items.length === 0
          ? h('p', { class: 'empty' }, 'No webhook endpoints.')
          : h(
              'ul',
              { class: 'rows', 'aria-label': 'Webhook endpoints' },
              page.items.map((e) => endpointItem(ctx, e, () => void load())),
            ),
      )
    } catch (error) {
      if (!isAbort(error)) fill(list, errorBox(error))
    }
  }
  const added = (secret: string) => {
    fill(
      secretBox,
      notice(
        h('span', null, 'Endpoint added. Its signing secret, shown this once: ', h('code', null, secret)),
        'success',
      ),
    )
    void load()
  }
  void load()
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'webhooks-h' },
    h('h2', { id: 'webhooks-h' }, 'Webhooks'),
    h(
      'p',
      { class: 'help' },
      'Signed events (Standard Webhooks) sent to your endpoints when anything changes here.',
    ),
    secretBox,
    list,
    addForm(ctx, added),
  )
}
