import { ErrorCode } from '../../../src/contract/errors.js'
import { api } from '../api.js'
import { h, fill, type Child } from '../dom.js'
import type { Token } from '../types.js'
import { dateTime, errorBox, loading, plural, whileBusy } from '../ui.js'
import { focusHeading, type ViewContext } from './context.js'
import { card, confirmFirst, field, pagedList, PAGE_SIZE, select, type PagedList } from './manage.js'

// The signed-in user's API tokens: creating one (its value shown this once, with a copy button), when each
// expires, and revoking them.

const DAY = 86_400_000

const SCOPED =
  'This tab is signed in with a token limited to one workspace: sign in with a token that works everywhere to manage tokens.'

/** How long a new token lives, in days ('' = until revoked). */
export const EXPIRY_CHOICES: [string, string][] = [
  ['7', '7 days'],
  ['30', '30 days'],
  ['90', '90 days'],
  ['365', '1 year'],
  ['', 'Never'],
]

/** When a token expires, said the way it matters: never, in n days (in colour when close), or expired. */
function expiry(token: { expiresAt: string | null }): HTMLElement {
  if (token.expiresAt === null) return h('span', { class: 'muted small' }, 'Never expires')
  const left = new Date(token.expiresAt).getTime() - Date.now()
  if (left <= 0)
    return h(
      'span',
      null,
      h('span', { class: 'badge status-failed' }, 'expired'),
      ' ',
      dateTime(token.expiresAt),
    )
  const soon = left < 7 * DAY
  return h(
    'span',
    { class: soon ? 'expiring' : 'muted small' },
    `Expires in ${left < DAY ? 'less than a day' : plural(Math.round(left / DAY), 'day')} — `,
    dateTime(token.expiresAt),
  )
}

/**
 * A token's row, API token or CI upload token alike: its name (and `badge`), when it was made, when it expires,
 * and — given `revoke` — a Revoke button that asks first.
 */
export function tokenItem(
  token: { id: string; name: string; createdAt: string; expiresAt: string | null },
  data: Record<string, string>,
  badge: Child,
  revoke?: { question: string; run: () => Promise<void> },
): HTMLElement {
  const row = h(
    'li',
    { class: 'item', ...data },
    h(
      'div',
      { class: 'item-main' },
      h('strong', null, token.name),
      badge ? [' ', badge] : null,
      h('br'),
      h('span', { class: 'muted small' }, 'Created ', dateTime(token.createdAt), ' · '),
      expiry(token),
    ),
  )
  if (!revoke) return row
  const button = h(
    'button',
    { type: 'button', class: 'small' },
    'Revoke',
    h('span', { class: 'vh' }, ` ${token.name}`),
    '…',
  )
  row.append(h('div', { class: 'item-actions' }, button))
  confirmFirst(row, button, {
    question: revoke.question,
    yes: `Yes, revoke ${token.name}`,
    no: 'Keep it',
    failure: 'Not revoked',
    run: revoke.run,
  })
  return row
}

function tokenRow(token: Token, workspaces: Map<string, string>, reload: () => void): HTMLElement {
  // Most tokens work in every workspace; only a limited one says where it works.
  const scope = token.organizationId
    ? h('span', { class: 'badge' }, `Only ${workspaces.get(token.organizationId) ?? 'one workspace'}`)
    : null
  return tokenItem(token, { 'data-token': token.id }, scope, {
    question: `Revoke “${token.name}”? Anything using it stops working at once. If this tab signed in with it, you will be asked for another token.`,
    run: async () => {
      await api.revokeToken(token.id)
      reload()
    },
  })
}

/** The new token's value, once: selectable, with a button that copies it. */
export function shownOnce(made: { name: string; token: string }): HTMLElement {
  const value = h('input', {
    readOnly: true,
    value: made.token,
    spellcheck: false,
    class: 'secret',
    'aria-label': `Value of the token ${made.name}`,
  })
  const copied = h('span', { role: 'status', class: 'muted' })
  const copy = h('button', { type: 'button', class: 'primary' }, 'Copy token')
  copy.addEventListener('click', async () => {
    value.select()
    try {
      await navigator.clipboard.writeText(made.token)
      fill(copied, 'Copied to the clipboard.')
    } catch {
      // No clipboard access (an insecure origin, a denied permission): the text is selected for a manual copy.
      fill(copied, 'The browser did not allow copying: the token is selected, press Ctrl+C (⌘C) to copy it.')
    }
  })
  return h(
    'div',
    { class: 'notice success new-token', role: 'status' },
    h('p', null, h('strong', null, `Token “${made.name}” created.`), ' Copy it now: it is not shown again.'),
    h('div', { class: 'secret-row' }, value, copy),
    copied,
  )
}

function createForm(workspaces: [string, string][], list: PagedList): HTMLElement {
  const name = h('input', { required: true, maxLength: 128, autocomplete: 'off' })
  const expires = select(EXPIRY_CHOICES, '90')
  const scope = select([['', 'Every workspace I belong to'], ...workspaces])
  const result = h('div', { 'aria-live': 'polite' })
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Create token')
  return card(
    'new-token',
    'Create a token',
    h(
      'form',
      {
        onSubmit: async (event: Event) => {
          event.preventDefault()
          fill(result)
          const body = {
            name: name.value.trim(),
            expiresInDays: expires.value ? Number(expires.value) : undefined,
            organizationId: scope.value || undefined,
          }
          try {
            const made = await whileBusy(submit, () => api.createToken(body))
            name.value = ''
            fill(result, shownOnce(made))
            await list.load(1)
          } catch (error) {
            fill(
              result,
              errorBox(error, 'Not created', {
                [ErrorCode.Forbidden]: SCOPED,
                [ErrorCode.Conflict]: 'Revoke a token you no longer use, then create this one.',
              }),
            )
          }
        },
      },
      field('Name', name, 'What it is for (“CI on main”, “laptop”), so you recognise it later.'),
      field('Expires after', expires),
      field(
        'Works in',
        scope,
        'A token limited to one workspace cannot act anywhere else, nor manage tokens.',
      ),
      h('div', { class: 'actions' }, submit),
      result,
    ),
  )
}

export async function renderTokens(ctx: ViewContext): Promise<void> {
  fill(ctx.main, h('h1', { tabindex: -1 }, 'API tokens'), loading('Loading your tokens'))
  // The workspace names label scoped tokens and fill the "Works in" choice.
  const names = new Map<string, string>()
  const workspaces = await api.organizations({ limit: 100, signal: ctx.signal }).then(
    (page) => page.items.map((o): [string, string] => [o.id, o.name]),
    () => [] as [string, string][],
  )
  for (const [id, name] of workspaces) names.set(id, name)
  const list = pagedList<Token>({
    label: 'Your tokens',
    noun: ['token', 'tokens'],
    signal: ctx.signal,
    fetch: (page, signal) => api.tokens({ page, limit: PAGE_SIZE, signal }),
    row: (token, reload) => tokenRow(token, names, reload),
    empty: () => 'You have no API tokens.',
    advice: { [ErrorCode.Forbidden]: SCOPED },
  })
  fill(
    ctx.main,
    h('h1', { tabindex: -1 }, 'API tokens'),
    h(
      'p',
      null,
      'Tokens let scripts, CI jobs and this dashboard act as ',
      h('strong', null, ctx.user.email),
      '. Send one as ',
      h('code', null, 'Authorization: Bearer <token>'),
      '; the ',
      h('a', { href: '/docs' }, 'API reference'),
      ' lists what it can do.',
    ),
    card('token-list', 'Your tokens', list.element),
    createForm(workspaces, list),
  )
  focusHeading(ctx.main, 'API tokens')
  await list.load(1)
}
