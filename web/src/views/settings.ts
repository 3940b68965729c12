import { api } from '../api.js'
import { h, fill, uid } from '../dom.js'
import { navigate, paths } from '../router.js'
import { cancelOnEscape, errorBox, notice, whileBusy } from '../ui.js'
import { flash, isAbort } from './context.js'
import { retentionForm } from './retention.js'
import { webhooksSection } from './webhooks.js'
import { P, type WorkspaceContext } from './workspace-context.js'

/** Live answer of check-slug while typing, debounced so typing a word costs one request, not ten. */
function slugChecker(current: string, output: HTMLElement) {
  let timer: number | undefined
  let inflight: AbortController | null = null
  return (value: string) => {
    window.clearTimeout(timer)
    inflight?.abort()
    const slug = value.trim()
    if (slug === '' || slug.toLowerCase() === current.toLowerCase()) {
      fill(output, slug === '' ? '' : 'This is the current slug.')
      output.className = 'slug-check'
      return
    }
    fill(output, 'Checking…')
    output.className = 'slug-check'
    timer = window.setTimeout(async () => {
      inflight = new AbortController()
      try {
        const answer = await api.checkSlug(slug, inflight.signal)
        fill(output, answer.valid ? `“${slug.toLowerCase()}” is available.` : `“${slug}” ${answer.reason}.`)
        output.className = `slug-check ${answer.valid ? 'ok' : 'bad'}`
      } catch (error) {
        if (!isAbort(error)) fill(output, errorBox(error, 'Could not check the slug'))
      }
    }, 250)
  }
}

function renameForm(ctx: WorkspaceContext): HTMLElement {
  const { org } = ctx
  const nameId = uid('name')
  const slugId = uid('slug')
  const checkId = uid('slug-check')
  const nameInput = h('input', { id: nameId, value: org.name, required: true, maxLength: 128 })
  const check = h('p', { id: checkId, class: 'slug-check', 'aria-live': 'polite' })
  const checkSlug = slugChecker(org.slug, check)
  const slugInput = h('input', {
    id: slugId,
    value: org.slug,
    required: true,
    maxLength: 128,
    autocomplete: 'off',
    spellcheck: false,
    'aria-describedby': checkId,
    onInput: (e: Event) => checkSlug((e.target as HTMLInputElement).value),
  })
  const feedback = h('div', { 'aria-live': 'polite' })
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save changes')
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'rename-h' },
    h('h2', { id: 'rename-h' }, 'Name and slug'),
    h(
      'form',
      {
        onSubmit: async (event: Event) => {
          event.preventDefault()
          const body: { name?: string; slug?: string } = {}
          const name = nameInput.value.trim()
          const slug = slugInput.value.trim()
          if (name !== org.name) body.name = name
          if (slug.toLowerCase() !== org.slug) body.slug = slug
          if (Object.keys(body).length === 0) {
            fill(feedback, notice('Nothing changed.'))
            return
          }
          fill(feedback)
          try {
            await whileBusy(save, () => api.updateOrganization(org.id, body))
            flash('Settings saved.', 'success')
            navigate(paths.workspace(org.id, 'settings'), { replace: true })
          } catch (error) {
            fill(feedback, errorBox(error, 'Not saved'))
          }
        },
      },
      h('label', { for: nameId }, 'Name'),
      nameInput,
      h('label', { for: slugId }, 'Slug'),
      h(
        'p',
        { class: 'help' },
        'Used in URLs and API calls. Letters, digits and dashes; 3 to 128 characters.',
      ),
      slugInput,
      check,
      feedback,
      h('div', { class: 'actions' }, save),
    ),
  )
}

function ownerForm(ctx: WorkspaceContext): HTMLElement {
  const { org } = ctx
  const inputId = uid('new-owner')
  const listId = uid('collaborator-emails')
  const options = h('datalist', { id: listId })
  const input = h('input', {
    id: inputId,
    type: 'text',
    required: true,
    autocomplete: 'off',
    list: listId,
    'aria-describedby': `${inputId}-help`,
  })
  // Suggest the current collaborators; any member's email or id is accepted.
  api.collaborators(org.id, { limit: 100, signal: ctx.signal }).then(
    (page) =>
      fill(
        options,
        page.items
          .filter((c) => c.user.id !== org.owner.id)
          .map((c) => h('option', { value: c.user.email }, `${c.user.email} (${c.role})`)),
      ),
    () => undefined,
  )
  const feedback = h('div', { 'aria-live': 'polite' })
  const confirmBox = h('div')
  const start = h('button', { type: 'submit' }, 'Transfer ownership…')
  const form = h(
    'form',
    {
      onSubmit: (event: Event) => {
        event.preventDefault()
        const newOwner = input.value.trim()
        if (!newOwner) return
        fill(feedback)
        const yes = h('button', { type: 'button', class: 'danger' }, `Yes, make ${newOwner} the owner`)
        const no = h('button', { type: 'button' }, 'Keep me as owner')
        yes.addEventListener('click', async () => {
          try {
            await whileBusy(yes, () => api.changeOwner(org.id, newOwner))
            flash(`${newOwner} now owns ${org.name}; you are an admin.`, 'success')
            navigate(paths.workspace(org.id), { replace: true })
          } catch (error) {
            fill(confirmBox)
            fill(feedback, errorBox(error, 'Ownership not transferred'))
          }
        })
        no.addEventListener('click', () => {
          fill(confirmBox)
          start.focus()
        })
        const box = h(
          'div',
          { class: 'confirm', role: 'group', 'aria-label': 'Confirm transfer' },
          h('p', null, `${newOwner} will own ${org.name}. You will become an admin and lose owner rights.`),
          h('div', { class: 'actions' }, yes, no),
        )
        cancelOnEscape(box, no)
        fill(confirmBox, box)
        yes.focus()
      },
    },
    h('label', { for: inputId }, 'New owner'),
    h('p', { id: `${inputId}-help`, class: 'help' }, 'Email or user id of a current collaborator.'),
    input,
    options,
    h('div', { class: 'actions' }, start),
  )
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'owner-h' },
    h('h2', { id: 'owner-h' }, 'Owner'),
    h('p', null, 'Current owner: ', h('strong', null, org.owner.email)),
    form,
    confirmBox,
    feedback,
  )
}

export async function renderSettings(ctx: WorkspaceContext): Promise<void> {
  fill(
    ctx.panel,
    ctx.can(P.update) ? renameForm(ctx) : null,
    ctx.can(P.update) ? retentionForm(ctx) : null,
    ctx.can(P.ownerChange) ? ownerForm(ctx) : null,
    ctx.can(P.webhookList) ? webhooksSection(ctx) : null,
  )
}
