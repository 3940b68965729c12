import { ErrorCode } from '../../../src/contract/errors.js'
import { api } from '../api.js'
import { h, fill } from '../dom.js'
import { navigate, paths } from '../router.js'
import type { ListedCollaborator, Role } from '../types.js'
import { dateTime, errorBox, notice, whileBusy } from '../ui.js'
import { flash } from './context.js'
import { card, confirmFirst, field, pagedList, PAGE_SIZE, select, type PagedList } from './manage.js'
import { P, type WorkspaceContext } from './workspace-context.js'

// Collaborators: who belongs to the workspace with which role; inviting, changing roles, removing people and
// handing the workspace to another of them.

const ROLE_CHOICES: [Role, string][] = [
  ['viewer', 'Viewer — reads everything but the history'],
  ['editor', 'Editor — also manages apps, builds and devices'],
  ['admin', 'Admin — also manages people, settings and history'],
]

const NOT_THE_OWNER = {
  [ErrorCode.Conflict]: 'The owner keeps the owner role: transfer ownership to someone else first.',
}

/** What removing them, or making them a viewer, does to the CI: their app tokens act for them. */
function tokensStop(c: ListedCollaborator): string {
  if (c.appTokens === 0) return ''
  const tokens = c.appTokens === 1 ? '1 CI token' : `${c.appTokens} CI tokens`
  return ` ${tokens} they created will stop working; an editor or admin can create new ones.`
}

function roleControl(ctx: WorkspaceContext, c: ListedCollaborator, row: HTMLElement, reload: () => void) {
  const choice = select(
    ROLE_CHOICES.map(([value]): [string, string] => [value, value]),
    c.role,
  )
  choice.setAttribute('aria-label', `Role of ${c.user.email}`)
  const save = h('button', { type: 'button', class: 'small', disabled: true }, 'Change role')
  const warning = h('p', { class: 'muted small', 'aria-live': 'polite', 'data-token-warning': '' })
  choice.addEventListener('change', () => {
    save.disabled = choice.value === c.role
    const demoted = choice.value === 'viewer' && c.role !== 'viewer'
    fill(warning, demoted && c.appTokens > 0 ? `As a viewer,${tokensStop(c)}` : '')
  })
  save.addEventListener('click', async () => {
    row.querySelector(':scope > .error')?.remove()
    try {
      await whileBusy(save, () => api.changeRole(ctx.org.id, c.id, choice.value))
      reload()
    } catch (error) {
      save.disabled = false
      row.append(errorBox(error, 'Role not changed', NOT_THE_OWNER))
    }
  })
  return [choice, save, warning]
}

function collaboratorRow(ctx: WorkspaceContext, c: ListedCollaborator, reload: () => void): HTMLElement {
  const { org } = ctx
  const isOwner = c.role === 'owner'
  const isMe = c.user.id === ctx.user.id
  const row = h('li', { class: 'item', 'data-collaborator': c.id })
  const actions = h('div', { class: 'item-actions' })
  row.append(
    h(
      'div',
      { class: 'item-main' },
      h('strong', null, c.user.email),
      c.user.name ? h('span', { class: 'muted' }, ` (${c.user.name})`) : null,
      isMe ? h('span', { class: 'muted' }, ' — you') : null,
      ' ',
      h('span', { class: `badge role-${c.role}` }, c.role),
      h('br'),
      h('span', { class: 'muted small' }, 'Added ', dateTime(c.createdAt)),
    ),
    actions,
  )
  if (isOwner) return row
  if (ctx.can(P.collaboratorUpdate)) actions.append(...roleControl(ctx, c, row, reload))
  if (ctx.can(P.ownerChange)) {
    const transfer = h('button', { type: 'button', class: 'small' }, 'Make owner…')
    actions.append(transfer)
    confirmFirst(row, transfer, {
      question: `${c.user.email} will own ${org.name}. You will become an admin and lose the owner's rights (deleting the workspace, billing).`,
      yes: `Yes, make ${c.user.email} the owner`,
      no: 'Keep me as owner',
      failure: 'Ownership not transferred',
      run: async () => {
        await api.changeOwner(org.id, c.user.id)
        flash(`${c.user.email} now owns ${org.name}; you are an admin.`, 'success')
        navigate(paths.workspace(org.id, 'collaborators'), { replace: true })
      },
    })
  }
  if (ctx.can(P.collaboratorRemove)) {
    const remove = h('button', { type: 'button', class: 'small' }, isMe ? 'Leave…' : 'Remove…')
    actions.append(remove)
    confirmFirst(row, remove, {
      question: isMe
        ? `Leave ${org.name}? You lose access to it at once; someone who manages it must add you again.`
        : `Remove ${c.user.email} from ${org.name}? They keep their account and other workspaces, and can be invited again.${tokensStop(c)}`,
      yes: isMe ? 'Yes, leave' : `Yes, remove ${c.user.email}`,
      no: 'Cancel',
      failure: 'Not removed',
      advice: NOT_THE_OWNER,
      run: async () => {
        await api.removeCollaborator(org.id, c.id)
        if (!isMe) return reload()
        flash(`You left ${org.name}.`, 'success')
        navigate(paths.workspaces())
      },
    })
  }
  return row
}

function inviteForm(ctx: WorkspaceContext, list: PagedList): HTMLElement {
  const email = h('input', { type: 'email', required: true, maxLength: 254, autocomplete: 'off' })
  const name = h('input', { maxLength: 128, autocomplete: 'off' })
  const role = select(ROLE_CHOICES, 'viewer')
  const feedback = h('div', { 'aria-live': 'polite' })
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Add collaborator')
  return card(
    'invite',
    'Add a collaborator',
    h(
      'form',
      {
        onSubmit: async (event: Event) => {
          event.preventDefault()
          fill(feedback)
          const body = { email: email.value.trim(), role: role.value, name: name.value.trim() || undefined }
          try {
            const added = await whileBusy(submit, () => api.addCollaborator(ctx.org.id, body))
            email.value = ''
            name.value = ''
            fill(feedback, notice(`${added.user.email} was added as ${added.role}.`, 'success'))
            await list.load(1)
          } catch (error) {
            fill(
              feedback,
              errorBox(error, 'Not added', {
                [ErrorCode.Conflict]:
                  'This person is already a collaborator: change their role in the list instead.',
              }),
            )
          }
        },
      },
      field('Email', email),
      field('Name', name, 'Optional: used when this person is new to orgspace.'),
      field('Role', role),
      h(
        'p',
        { class: 'help' },
        'Someone new to orgspace gets an account; they sign in with an API token an operator creates for them (',
        h('code', null, 'npx orgspace user create --email …'),
        ').',
      ),
      feedback,
      h('div', { class: 'actions' }, submit),
    ),
  )
}

export async function renderCollaborators(ctx: WorkspaceContext): Promise<void> {
  const search = h('input', { type: 'search', autocomplete: 'off', maxLength: 254 })
  const roleFilter = select([
    ['', 'Every role'],
    ['owner', 'Owner'],
    ['admin', 'Admin'],
    ['editor', 'Editor'],
    ['viewer', 'Viewer'],
  ])
  const list = pagedList<ListedCollaborator>({
    label: 'Collaborators',
    noun: ['collaborator', 'collaborators'],
    signal: ctx.signal,
    fetch: (page, signal) =>
      api.findCollaborators(ctx.org.id, {
        page,
        limit: PAGE_SIZE,
        signal,
        email: search.value.trim() || undefined,
        role: roleFilter.value || undefined,
      }),
    row: (c, reload) => collaboratorRow(ctx, c, reload),
    empty: () =>
      search.value.trim() || roleFilter.value ? 'Nobody matches this search.' : 'No collaborators.',
    filters: { q: search, role: roleFilter },
  })
  let debounce: number | undefined
  search.addEventListener('input', () => {
    window.clearTimeout(debounce)
    debounce = window.setTimeout(() => void list.load(1), 250)
  })
  roleFilter.addEventListener('change', () => void list.load(1))
  fill(
    ctx.panel,
    card(
      'people',
      'Collaborators',
      h(
        'form',
        { role: 'search', class: 'filters', onSubmit: (e: Event) => e.preventDefault() },
        h('div', null, field('Search by email', search)),
        h('div', null, field('Show role', roleFilter)),
      ),
      list.element,
    ),
    ctx.can(P.collaboratorCreate) ? inviteForm(ctx, list) : null,
  )
  await list.load(1)
}
