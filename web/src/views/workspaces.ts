import { ErrorCode } from '../../../src/contract/errors.js'
import { api, ApiError } from '../api.js'
import { h, fill, uid } from '../dom.js'
import { navigate, paths } from '../router.js'
import type { Deletion, Organization, Page } from '../types.js'
import { dateTime, errorBox, loading, pager, plural, whileBusy } from '../ui.js'
import { focusHeading, isAbort, type ViewContext } from './context.js'

const PAGE_SIZE = 10

function workspaceItem(org: Organization): HTMLElement {
  const { apps, devices, collaborators } = org.counts
  return h(
    'li',
    { class: 'workspace' },
    h('a', { href: paths.workspace(org.id), class: 'workspace-name' }, org.name),
    h('span', { class: 'slug' }, org.slug),
    h('span', { class: `badge role-${org.role}` }, org.role),
    h(
      'span',
      { class: 'muted' },
      `${plural(apps, 'app')} · ${plural(devices, 'device')} · ${plural(collaborators, 'collaborator')}`,
    ),
  )
}

/** Workspaces the caller belongs to: search by name, pages, and a form to create one. */
export async function renderWorkspaces(ctx: ViewContext, query: URLSearchParams): Promise<void> {
  let name = query.get('q') ?? ''
  let page = Math.max(1, Number(query.get('page')) || 1)
  const searchId = uid('search')
  // Only the one-line summary is announced on each search, not the whole list.
  const results = h('div')
  let pending: AbortController | null = null

  const load = async () => {
    pending?.abort()
    pending = new AbortController()
    const signal = AbortSignal.any([ctx.signal, pending.signal])
    history.replaceState(null, '', paths.workspaces({ q: name, page }))
    fill(results, loading('Loading workspaces'))
    let data: Page<Organization>
    try {
      data = await api.organizations({ name: name || undefined, page, limit: PAGE_SIZE, signal })
    } catch (error) {
      if (!isAbort(error)) fill(results, errorBox(error, 'Could not load workspaces'))
      return
    }
    if (data.items.length === 0) {
      fill(
        results,
        h(
          'p',
          { class: 'empty', role: 'status' },
          name
            ? `No workspace name contains “${name}”.`
            : 'You do not belong to any workspace yet. Create one below, or ask an owner to add you.',
        ),
      )
      return
    }
    fill(
      results,
      h('p', { class: 'muted', role: 'status' }, plural(data.totalDocs, 'workspace')),
      h('ul', { class: 'workspaces', 'aria-label': 'Workspaces' }, data.items.map(workspaceItem)),
      pager(
        data,
        (p) => {
          page = p
          void load()
        },
        'Workspace list',
      ),
    )
  }

  let debounce: number | undefined
  const search = h('input', {
    id: searchId,
    type: 'search',
    value: name,
    autocomplete: 'off',
    onInput: (event: Event) => {
      window.clearTimeout(debounce)
      const value = (event.target as HTMLInputElement).value.trim()
      debounce = window.setTimeout(() => {
        name = value
        page = 1
        void load()
      }, 250)
    },
  })

  fill(
    ctx.main,
    h('h1', { tabindex: -1 }, 'Workspaces'),
    h(
      'form',
      { role: 'search', class: 'search', onSubmit: (e: Event) => e.preventDefault() },
      h('label', { for: searchId }, 'Search by name'),
      search,
    ),
    results,
    createForm(),
    deletionsSection(ctx),
  )
  focusHeading(ctx.main, 'Workspaces')
  await load()
}

function createForm(): HTMLElement {
  const nameId = uid('new-name')
  const input = h('input', { id: nameId, required: true, maxLength: 128, autocomplete: 'off' })
  const feedback = h('div', { 'aria-live': 'polite' })
  const submit = h('button', { type: 'submit' }, 'Create workspace')
  return h(
    'section',
    { class: 'card', 'aria-labelledby': `${nameId}-h` },
    h('h2', { id: `${nameId}-h` }, 'New workspace'),
    h(
      'form',
      {
        class: 'inline',
        onSubmit: async (event: Event) => {
          event.preventDefault()
          fill(feedback)
          try {
            const org = await whileBusy(submit, () => api.createOrganization(input.value.trim()))
            navigate(paths.workspace(org.id))
          } catch (error) {
            fill(feedback, errorBox(error, 'Could not create the workspace'))
          }
        },
      },
      h('label', { for: nameId }, 'Name'),
      input,
      submit,
    ),
    feedback,
  )
}

/**
 * One receipt: the name, and the slug and dates that tell a deleted workspace from a live one of the same name
 * (one imported again from its archive, say).
 */
function deletionItem(d: Deletion): HTMLElement {
  return h(
    'li',
    { 'data-deletion': d.id },
    h('a', { href: paths.deletion(d.id) }, d.organization.name || d.organization.slug),
    ' ',
    h('span', { class: 'slug' }, d.organization.slug),
    ' — ',
    h('span', { class: `badge status-${d.status}` }, d.status),
    ' ',
    h(
      'span',
      { class: 'muted' },
      'deleted ',
      dateTime(d.requestedAt),
      d.completedAt ? [', erased ', dateTime(d.completedAt)] : null,
      d.restoredAt ? [', restored ', dateTime(d.restoredAt)] : null,
    ),
  )
}

/** Receipts of the deletions this user requested: the lasting record of what was removed and when. */
function deletionsSection(ctx: ViewContext): HTMLElement {
  const section = h('section', { class: 'card', hidden: true, 'aria-labelledby': 'deletions-h' })
  api.deletions({ limit: 5, signal: ctx.signal }).then(
    (page: Page<Deletion>) => {
      if (page.items.length === 0) return
      section.hidden = false
      fill(
        section,
        h('h2', { id: 'deletions-h' }, 'Deletions you requested'),
        h('ul', { class: 'plain' }, page.items.map(deletionItem)),
      )
    },
    (error: unknown) => {
      // Older servers have no receipts list; a real failure is still worth showing.
      if (isAbort(error) || (error instanceof ApiError && error.code === ErrorCode.RouteNotFound)) return
      section.hidden = false
      fill(section, h('h2', { id: 'deletions-h' }, 'Deletions you requested'), errorBox(error))
    },
  )
  return section
}
