import { ErrorCode } from '../../../src/contract/errors.js'
import { api } from '../api.js'
import { h, fill } from '../dom.js'
import { navigate, paths } from '../router.js'
import type { App } from '../types.js'
import { dateTime, errorBox, loading, notice, whileBusy } from '../ui.js'
import { appTokensSection } from './app-tokens.js'
import { buildsSection } from './builds.js'
import { flash, isAbort } from './context.js'
import { card, confirmFirst, field, pagedList, PAGE_SIZE } from './manage.js'
import { P, type WorkspaceContext } from './workspace-context.js'

// Apps: the workspace's applications (search, create), and one app's page: edit, delete, and its builds.

const SLUG_TAKEN = {
  [ErrorCode.Conflict]: 'Another app of this workspace has this slug: choose another one.',
}
const SLUG_HELP = 'Optional: letters, digits and dashes, 3 to 128 characters. Made from the name when empty.'

function appRow(ctx: WorkspaceContext, app: App): HTMLElement {
  return h(
    'li',
    { class: 'item', 'data-app': app.id },
    h(
      'div',
      { class: 'item-main' },
      h('a', { href: paths.app(ctx.org.id, app.id), class: 'item-name' }, app.name),
      ' ',
      h('span', { class: 'slug' }, app.slug),
      app.description ? [h('br'), h('span', { class: 'muted' }, app.description)] : null,
    ),
  )
}

function createForm(ctx: WorkspaceContext): HTMLElement {
  const name = h('input', { required: true, maxLength: 128, autocomplete: 'off' })
  const slug = h('input', { maxLength: 128, autocomplete: 'off', spellcheck: false })
  const description = h('textarea', { maxLength: 2000, rows: 2 })
  const feedback = h('div', { 'aria-live': 'polite' })
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Create app')
  return card(
    'new-app',
    'New app',
    h(
      'form',
      {
        onSubmit: async (event: Event) => {
          event.preventDefault()
          fill(feedback)
          const body = {
            name: name.value.trim(),
            slug: slug.value.trim() || undefined,
            description: description.value.trim() || undefined,
          }
          try {
            const app = await whileBusy(submit, () => api.createApp(ctx.org.id, body))
            flash(`${app.name} was created. Upload its first build below.`, 'success')
            navigate(paths.app(ctx.org.id, app.id))
          } catch (error) {
            fill(feedback, errorBox(error, 'Not created', SLUG_TAKEN))
          }
        },
      },
      field('Name', name),
      field('Slug', slug, SLUG_HELP),
      field('Description', description, 'Optional.'),
      feedback,
      h('div', { class: 'actions' }, submit),
    ),
  )
}

async function renderAppList(ctx: WorkspaceContext): Promise<void> {
  const search = h('input', { type: 'search', autocomplete: 'off', maxLength: 128 })
  const list = pagedList<App>({
    label: 'Apps',
    noun: ['app', 'apps'],
    signal: ctx.signal,
    fetch: (page, signal) =>
      api.findApps(ctx.org.id, { page, limit: PAGE_SIZE, signal, name: search.value.trim() || undefined }),
    row: (app) => appRow(ctx, app),
    empty: () => (search.value.trim() ? `No app name contains “${search.value.trim()}”.` : 'No apps yet.'),
    filters: { q: search },
  })
  let debounce: number | undefined
  search.addEventListener('input', () => {
    window.clearTimeout(debounce)
    debounce = window.setTimeout(() => void list.load(1), 250)
  })
  fill(
    ctx.panel,
    card(
      'app-list',
      'Apps',
      h(
        'form',
        { role: 'search', class: 'filters', onSubmit: (e: Event) => e.preventDefault() },
        h('div', null, field('Search by name', search)),
      ),
      list.element,
    ),
    ctx.can(P.appCreate) ? createForm(ctx) : null,
  )
  await list.load(1)
}

function editForm(ctx: WorkspaceContext, app: App): HTMLElement {
  const name = h('input', { required: true, maxLength: 128, value: app.name, autocomplete: 'off' })
  const slug = h('input', {
    required: true,
    maxLength: 128,
    value: app.slug,
    autocomplete: 'off',
    spellcheck: false,
  })
  const description = h('textarea', { maxLength: 2000, rows: 2 }, app.description ?? '')
  const feedback = h('div', { 'aria-live': 'polite' })
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save app')
  return card(
    'edit-app',
    'Name, slug and description',
    h(
      'form',
      {
        onSubmit: async (event: Event) => {
          event.preventDefault()
          fill(feedback)
          const body: { name?: string; slug?: string; description?: string } = {}
          if (name.value.trim() !== app.name) body.name = name.value.trim()
          if (slug.value.trim().toLowerCase() !== app.slug) body.slug = slug.value.trim()
          if (description.value.trim() !== (app.description ?? ''))
            body.description = description.value.trim()
          if (Object.keys(body).length === 0) return fill(feedback, notice('Nothing changed.'))
          try {
            const saved = await whileBusy(save, () => api.updateApp(ctx.org.id, app.id, body))
            flash(`${saved.name} was saved.`, 'success')
            navigate(paths.app(ctx.org.id, saved.id), { replace: true })
          } catch (error) {
            fill(feedback, errorBox(error, 'Not saved', SLUG_TAKEN))
          }
        },
      },
      field('Name', name),
      field('Slug', slug, 'Letters, digits and dashes, 3 to 128 characters; unique in this workspace.'),
      field('Description', description),
      feedback,
      h('div', { class: 'actions' }, save),
    ),
  )
}

function deleteCard(ctx: WorkspaceContext, app: App): HTMLElement {
  const remove = h('button', { type: 'button', class: 'danger' }, `Delete ${app.name}…`)
  const body = h('div', { class: 'actions' }, remove)
  confirmFirst(body, remove, {
    question: `Delete ${app.name} and all its builds? Their files are removed from storage too; this cannot be undone.`,
    yes: `Yes, delete ${app.name}`,
    no: 'Keep it',
    failure: 'Not deleted',
    run: async () => {
      await api.removeApp(ctx.org.id, app.id)
      flash(`${app.name} and its builds were deleted.`, 'success')
      navigate(paths.workspace(ctx.org.id, 'apps'))
    },
  })
  return h(
    'section',
    { class: 'card danger-zone', 'aria-labelledby': 'delete-app-h' },
    h('h2', { id: 'delete-app-h' }, 'Delete this app'),
    body,
  )
}

async function renderApp(ctx: WorkspaceContext, appId: string): Promise<void> {
  const back = h('p', null, h('a', { href: paths.workspace(ctx.org.id, 'apps') }, '← All apps'))
  fill(ctx.panel, back, loading('Loading the app'))
  let app: App
  try {
    app = await api.app(ctx.org.id, appId, ctx.signal)
  } catch (error) {
    if (!isAbort(error))
      fill(
        ctx.panel,
        back,
        errorBox(error, 'Could not load the app', {
          [ErrorCode.EntityNotFound]: 'It may have been deleted.',
        }),
      )
    return
  }
  document.title = `${app.name} — ${ctx.org.name} — orgspace`
  fill(
    ctx.panel,
    back,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'app-h' },
      h('h2', { id: 'app-h' }, app.name, ' ', h('span', { class: 'slug' }, app.slug)),
      app.description ? h('p', null, app.description) : null,
      h('p', { class: 'muted small' }, 'Created ', dateTime(app.createdAt)),
    ),
    buildsSection(ctx, app),
    appTokensSection(ctx, app),
    ctx.can(P.appUpdate) ? editForm(ctx, app) : null,
    ctx.can(P.appRemove) ? deleteCard(ctx, app) : null,
  )
}

export async function renderApps(ctx: WorkspaceContext, appId?: string): Promise<void> {
  if (appId === undefined) await renderAppList(ctx)
  else await renderApp(ctx, appId)
}
