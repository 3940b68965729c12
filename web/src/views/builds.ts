import { ErrorCode } from '../../../src/contract/errors.js'
import { formatBytes as bytes } from '../../../src/contract/units.js'
import { api } from '../api.js'
import { h, fill, uid, type Child } from '../dom.js'
import type { App, Build } from '../types.js'
import { dateTime, errorBox, notice, saveFile, whileBusy } from '../ui.js'
import { isAbort } from './context.js'
import { card, confirmFirst, field, pagedList, PAGE_SIZE, type PagedList } from './manage.js'
import { P, type WorkspaceContext } from './workspace-context.js'

// An app's builds: uploading one with its progress, the list, downloading and deleting.

/** What CI said about a build it uploaded: which CI, commit, branch and build, and the build's tags. */
function ciDetails(b: Build): HTMLElement | null {
  const info = b.deployer?.info ?? {}
  const facts: Child[] = [
    b.deployer?.name ? ['From ', h('strong', null, b.deployer.name)] : null,
    info.commit ? ['commit ', h('code', null, info.commit)] : null,
    info.branch ? ['branch ', h('code', null, info.branch)] : null,
    info.buildNumber ? `build ${info.buildNumber}` : null,
  ].filter((fact) => fact !== null)
  if (facts.length === 0 && b.tags.length === 0) return null
  return h(
    'p',
    { class: 'muted small ci' },
    facts.flatMap((fact, i) => (i === 0 ? [fact] : [' · ', fact])),
    b.tags.length > 0
      ? [
          facts.length > 0 ? ' · ' : null,
          h(
            'ul',
            { class: 'tags', 'aria-label': 'Tags' },
            b.tags.map((tag) => h('li', { class: 'badge' }, tag)),
          ),
        ]
      : null,
  )
}

function buildRow(ctx: WorkspaceContext, app: App, b: Build, reload: () => void): HTMLElement {
  const version = [b.versionName, b.versionCode ? `(${b.versionCode})` : null].filter(Boolean).join(' ')
  const row = h(
    'li',
    { class: 'item', 'data-build': b.id },
    h(
      'div',
      { class: 'item-main' },
      h('strong', null, b.fileName),
      version ? [' ', h('span', { class: 'badge' }, version)] : null,
      h('br'),
      h(
        'span',
        { class: 'muted small' },
        `${bytes(b.size)} · ${b.uploadedBy.email} · `,
        dateTime(b.createdAt),
      ),
      ciDetails(b),
      b.changelog ? h('p', { class: 'changelog' }, b.changelog) : null,
      h(
        'p',
        { class: 'muted small sha' },
        'SHA-256 ',
        h('code', { title: b.sha256 }, `${b.sha256.slice(0, 16)}…`),
      ),
    ),
  )
  const actions = h('div', { class: 'item-actions' })
  row.append(actions)
  const download = h(
    'button',
    { type: 'button', class: 'small' },
    'Download',
    h('span', { class: 'vh' }, ` ${b.fileName}`),
  )
  download.addEventListener('click', async () => {
    row.querySelector(':scope > .error')?.remove()
    try {
      const file = await whileBusy(download, () => api.downloadBuild(ctx.org.id, app.id, b.id))
      saveFile(file.blob, b.fileName)
    } catch (error) {
      row.append(
        errorBox(error, 'Not downloaded', {
          [ErrorCode.EntityNotFound]: 'The build may have been deleted: reload the list.',
        }),
      )
    }
  })
  actions.append(download)
  if (ctx.can(P.buildRemove)) {
    const remove = h(
      'button',
      { type: 'button', class: 'small' },
      'Delete',
      h('span', { class: 'vh' }, ` ${b.fileName}`),
      '…',
    )
    actions.append(remove)
    confirmFirst(row, remove, {
      question: `Delete ${b.fileName}${version ? ` ${version}` : ''}? Its file is removed from storage; this cannot be undone.`,
      yes: `Yes, delete ${b.fileName}`,
      no: 'Keep it',
      failure: 'Not deleted',
      run: async () => {
        await api.removeBuild(ctx.org.id, app.id, b.id)
        reload()
      },
    })
  }
  return row
}

function uploadForm(ctx: WorkspaceContext, app: App, list: PagedList): HTMLElement {
  const file = h('input', { type: 'file', required: true })
  const versionName = h('input', { maxLength: 128, autocomplete: 'off' })
  const versionCode = h('input', { maxLength: 64, autocomplete: 'off' })
  const changelog = h('textarea', { maxLength: 10_000, rows: 3 })
  const feedback = h('div', { 'aria-live': 'polite' })
  const progressId = uid('upload-progress')
  const bar = h('progress', { id: progressId, max: 100, value: 0 })
  const status = h('span', { 'aria-live': 'polite' })
  const progress = h(
    'div',
    { class: 'upload-progress', hidden: true },
    h('label', { for: progressId }, 'Upload progress'),
    bar,
    status,
  )
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Upload build')
  const cancel = h('button', { type: 'button', hidden: true }, 'Cancel upload')
  let uploading: AbortController | null = null
  cancel.addEventListener('click', () => uploading?.abort())
  // Announcing every percent would flood a screen reader: the text changes in tenths.
  let lastTenth = -1
  const show = (sent: number, total: number) => {
    const percent = total === 0 ? 100 : Math.floor((sent / total) * 100)
    bar.value = percent
    const tenth = Math.floor(percent / 10)
    if (tenth !== lastTenth) {
      lastTenth = tenth
      fill(status, `${percent}% — ${bytes(sent)} of ${bytes(total)}`)
    }
  }

  const form = h(
    'form',
    {
      onSubmit: async (event: Event) => {
        event.preventDefault()
        const chosen = file.files?.[0]
        if (!chosen) return
        fill(feedback)
        // The text parts go first: the server checks them before it reads the file.
        const body = new FormData()
        if (versionName.value.trim()) body.append('versionName', versionName.value.trim())
        if (versionCode.value.trim()) body.append('versionCode', versionCode.value.trim())
        if (changelog.value.trim()) body.append('changelog', changelog.value.trim())
        body.append('file', chosen, chosen.name)
        uploading = new AbortController()
        const stop = () => uploading?.abort()
        ctx.signal.addEventListener('abort', stop)
        lastTenth = -1
        show(0, chosen.size)
        progress.hidden = false
        cancel.hidden = false
        try {
          const build = await whileBusy(submit, () =>
            api.uploadBuild(ctx.org.id, app.id, body, { onProgress: show, signal: uploading?.signal }),
          )
          form.reset()
          fill(feedback, notice(`${build.fileName} (${bytes(build.size)}) was uploaded.`, 'success'))
          await list.load(1)
        } catch (error) {
          if (isAbort(error)) {
            if (!ctx.signal.aborted) fill(feedback, notice('Upload cancelled: nothing was kept.'))
          } else fill(feedback, errorBox(error, 'Not uploaded'))
        } finally {
          ctx.signal.removeEventListener('abort', stop)
          uploading = null
          progress.hidden = true
          cancel.hidden = true
        }
      },
    },
    field('Build file', file, 'The binary to distribute: .apk, .aab, .ipa, .msix or any other file.'),
    h(
      'div',
      { class: 'two' },
      h('div', null, field('Version name', versionName, 'Optional, as people read it: 1.4.0.')),
      h('div', null, field('Version code', versionCode, 'Optional, as the store counts: 140.')),
    ),
    field('Changelog', changelog, 'Optional: what changed in this build.'),
    progress,
    feedback,
    h('div', { class: 'actions' }, submit, cancel),
  )
  return card('upload', 'Upload a build', form)
}

export function buildsSection(ctx: WorkspaceContext, app: App): HTMLElement[] {
  const list = pagedList<Build>({
    label: 'Builds',
    noun: ['build', 'builds'],
    signal: ctx.signal,
    fetch: (page, signal) => api.builds(ctx.org.id, app.id, { page, limit: PAGE_SIZE, signal }),
    row: (b, reload) => buildRow(ctx, app, b, reload),
    empty: () => 'No builds uploaded yet.',
  })
  void list.load(1)
  return [
    card('build-list', 'Builds', list.element),
    ...(ctx.can(P.buildUpload) ? [uploadForm(ctx, app, list)] : []),
  ]
}
