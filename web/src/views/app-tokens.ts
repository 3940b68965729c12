import { api } from '../api.js'
import { h, fill } from '../dom.js'
import type { App, AppToken } from '../types.js'
import { dateTime, errorBox, whileBusy } from '../ui.js'
import { card, field, pagedList, PAGE_SIZE, select, type PagedList } from './manage.js'
import { EXPIRY_CHOICES, shownOnce, tokenItem } from './tokens.js'
import { P, type WorkspaceContext } from './workspace-context.js'

// An app's CI upload tokens: what Applivery's fastlane, Gradle and Bitrise uploaders send to
// POST /v1/integrations/builds. Each works for this app's uploads only, and only while the member it acts for (who
// created it) is an editor or above here.

function tokenRow(ctx: WorkspaceContext, app: App, token: AppToken, reload: () => void): HTMLElement {
  const revoke = ctx.can(P.appTokenRemove)
    ? {
        question: `Revoke “${token.name}”? CI jobs using it can no longer upload builds of ${app.name}.`,
        run: async () => {
          await api.revokeAppToken(ctx.org.id, app.id, token.id)
          reload()
        },
      }
    : undefined
  const use = token.lastUsedAt ? ['last used ', dateTime(token.lastUsedAt)] : 'never used'
  const origin = h('span', { class: 'muted small' }, 'for ', token.createdBy.email, ' · ', use)
  return tokenItem(token, { 'data-app-token': token.id }, origin, revoke)
}

function createForm(ctx: WorkspaceContext, app: App, list: PagedList): HTMLElement {
  const name = h('input', { required: true, maxLength: 128, autocomplete: 'off' })
  const expires = select(EXPIRY_CHOICES, '365')
  const result = h('div', { 'aria-live': 'polite' })
  const submit = h('button', { type: 'submit' }, 'Create CI token')
  return h(
    'form',
    {
      onSubmit: async (event: Event) => {
        event.preventDefault()
        fill(result)
        const body = {
          name: name.value.trim(),
          expiresInDays: expires.value ? Number(expires.value) : undefined,
        }
        try {
          const made = await whileBusy(submit, () => api.createAppToken(ctx.org.id, app.id, body))
          name.value = ''
          fill(result, shownOnce(made))
          await list.load(1)
        } catch (error) {
          fill(result, errorBox(error, 'Not created'))
        }
      },
    },
    h('h3', null, 'New CI token'),
    field('Token name', name, 'Which pipeline uses it (“GitHub Actions release”).'),
    field('Token expires after', expires),
    h('div', { class: 'actions' }, submit),
    result,
  )
}

/** The app page's card of CI upload tokens, for the roles that manage builds. */
export function appTokensSection(ctx: WorkspaceContext, app: App): HTMLElement | null {
  if (!ctx.can(P.appTokenList)) return null
  const list = pagedList<AppToken>({
    label: 'CI upload tokens',
    noun: ['token', 'tokens'],
    signal: ctx.signal,
    fetch: (page, signal) => api.appTokens(ctx.org.id, app.id, { page, limit: PAGE_SIZE, signal }),
    row: (token, reload) => tokenRow(ctx, app, token, reload),
    empty: () => 'No CI tokens for this app.',
  })
  void list.load(1)
  return card(
    'app-tokens',
    'CI upload tokens',
    h(
      'p',
      { class: 'help' },
      'For CI uploaders (Applivery’s fastlane and Gradle plugins, Bitrise steps): point them at this server and give them a token; it can only upload builds of ',
      h('strong', null, app.name),
      ' (',
      h('code', null, 'POST /v1/integrations/builds'),
      ').',
    ),
    list.element,
    ctx.can(P.appTokenCreate) ? createForm(ctx, app, list) : null,
  )
}
