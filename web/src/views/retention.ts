import type { Retention } from '../types.js'
import { api } from '../api.js'
import { fill, h, uid } from '../dom.js'
import { navigate, paths } from '../router.js'
import { errorBox, notice, plural, whileBusy } from '../ui.js'
import { flash } from './context.js'
import type { WorkspaceContext } from './workspace-context.js'

// The workspace's retention policy (docs/api.md §15): three numbers, each empty for "keep forever", and a sentence
// that says, as they are typed, what the background retention will remove.

type Field = keyof Retention

const FIELDS: Array<{ field: Field; label: string; help: string }> = [
  { field: 'buildsDays', label: 'Remove builds older than (days)', help: 'Empty keeps builds forever.' },
  {
    field: 'buildsKeepLatest',
    label: 'But keep the newest builds of each app',
    help: 'How many of each app’s newest builds stay whatever their age. Empty keeps none back.',
  },
  { field: 'auditDays', label: 'Remove history older than (days)', help: 'Empty keeps the history forever.' },
]

/** What a policy removes, in words. */
function retentionSentence(policy: Retention): string {
  const parts: string[] = []
  if (policy.buildsDays !== null) {
    const kept = policy.buildsKeepLatest ? `, except the newest ${policy.buildsKeepLatest} of each app` : ''
    parts.push(`builds older than ${plural(policy.buildsDays, 'day')}${kept}`)
  }
  if (policy.auditDays !== null) parts.push(`history events older than ${plural(policy.auditDays, 'day')}`)
  if (parts.length === 0) return 'Nothing is removed: builds and history are kept forever.'
  return `Removes ${parts.join(', and ')}, with their files, about once an hour. Nothing is removed while the workspace is under legal hold.`
}

/** The typed value, null when empty; one that is not a whole number ≥ 0 is sent as typed, and the API says why. */
function valueOf(input: HTMLInputElement): number | null {
  const text = input.value.trim()
  return text === '' ? null : Number(text)
}

export function retentionForm(ctx: WorkspaceContext): HTMLElement {
  const { org } = ctx
  const inputs = new Map<Field, HTMLInputElement>()
  const sentence = h('p', { class: 'help', 'aria-live': 'polite' })
  const typed = (): Retention => ({
    auditDays: valueOf(inputs.get('auditDays') as HTMLInputElement),
    buildsDays: valueOf(inputs.get('buildsDays') as HTMLInputElement),
    buildsKeepLatest: valueOf(inputs.get('buildsKeepLatest') as HTMLInputElement),
  })
  const describe = () => {
    const policy = typed()
    const valid = Object.values(policy).every((v) => v === null || (Number.isInteger(v) && v >= 0))
    fill(sentence, valid ? retentionSentence(policy) : 'Each value is a whole number of 0 or more, or empty.')
  }
  const fields = FIELDS.map(({ field, label, help }) => {
    const id = uid(field)
    const input = h('input', {
      id,
      type: 'number',
      min: 0,
      step: 1,
      inputMode: 'numeric',
      value: org.retention[field] === null ? '' : String(org.retention[field]),
      'aria-describedby': `${id}-help`,
      onInput: describe,
    })
    inputs.set(field, input)
    return [h('label', { for: id }, label), h('p', { id: `${id}-help`, class: 'help' }, help), input]
  })
  describe()
  const feedback = h('div', { 'aria-live': 'polite' })
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save retention')
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'retention-h' },
    h('h2', { id: 'retention-h' }, 'Retention'),
    h(
      'form',
      {
        onSubmit: async (event: Event) => {
          event.preventDefault()
          const policy = typed()
          const changed = Object.fromEntries(
            Object.entries(policy).filter(([field, value]) => org.retention[field as Field] !== value),
          )
          if (Object.keys(changed).length === 0) {
            fill(feedback, notice('Nothing changed.'))
            return
          }
          fill(feedback)
          try {
            await whileBusy(save, () => api.updateOrganization(org.id, { retention: changed }))
            flash('Retention saved.', 'success')
            navigate(paths.workspace(org.id, 'settings'), { replace: true })
          } catch (error) {
            fill(feedback, errorBox(error, 'Not saved'))
          }
        },
      },
      fields,
      sentence,
      feedback,
      h('div', { class: 'actions' }, save),
    ),
  )
}
