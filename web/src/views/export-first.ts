import { formatBytes } from '../../../src/contract/units.js'
import { ErrorCode } from '../../../src/contract/errors.js'
import { api, ApiError } from '../api.js'
import { h, fill, uid } from '../dom.js'
import { dateTime, errorBox, whileBusy } from '../ui.js'
import { isAbort } from './context.js'
import type { Export } from '../types.js'
import type { WorkspaceContext } from './workspace-context.js'

// "Export first": the danger zone's way to keep a copy before deleting. It starts an export (docs/api.md §10),
// follows its progress, and offers the archive once it is complete. The archive needs the token, so it is fetched
// and handed to the browser as a file rather than linked.

/** How often a running export is asked for its progress. */
const POLL_MS = 1_000

export interface ExportFirst {
  /** Starts an export; goes next to the Delete button. */
  button: HTMLButtonElement
  /** Progress, then the download or what went wrong. */
  status: HTMLElement
}

const bytes = (n: number | null): string => (n === null ? 'unknown size' : formatBytes(n))

function problem(title: string, advice: string): HTMLElement {
  return h(
    'div',
    { class: 'error', role: 'alert' },
    h('p', null, h('strong', null, title)),
    h('p', null, advice),
  )
}

/** An expired export answers "not found": say that in the export's words rather than the workspace's. */
function downloadProblem(error: unknown): HTMLElement {
  if (error instanceof ApiError && error.code === ErrorCode.EntityNotFound)
    return problem(
      'The export has expired.',
      'Its archive is gone: press “Export first” again for a new one.',
    )
  return errorBox(error, 'Download failed')
}

export function exportFirst(ctx: WorkspaceContext): ExportFirst {
  const { org, signal } = ctx
  const status = h('div', { class: 'export-status', 'aria-live': 'polite' })
  const button = h('button', { type: 'button' }, 'Export first')

  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms)
      signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true })
    })

  const showProgress = (job: Export) => {
    const label = uid('export-progress')
    fill(
      status,
      h('p', { id: label }, `Exporting ${org.name}: ${job.progress} %`),
      h('progress', { max: 100, value: job.progress, 'aria-labelledby': label }),
    )
  }

  const save = async (job: Export, link: HTMLButtonElement, note: HTMLElement) => {
    fill(note)
    try {
      const file = await whileBusy(link, () => api.downloadExport(org.id, job.id))
      const url = URL.createObjectURL(file.blob)
      const anchor = h('a', { href: url, download: file.filename, hidden: true })
      document.body.append(anchor)
      anchor.click()
      anchor.remove()
      // The browser reads the blob after the click returns; it is let go once the save has surely started.
      setTimeout(() => URL.revokeObjectURL(url), 60_000)
      fill(note, h('p', { class: 'ok' }, `Downloaded ${file.filename}.`))
    } catch (error) {
      fill(note, downloadProblem(error))
    }
  }

  const showReady = (job: Export) => {
    const link = h('button', { type: 'button' }, `Download the archive (${bytes(job.size)})`)
    const note = h('div')
    link.addEventListener('click', () => void save(job, link, note))
    fill(
      status,
      h(
        'p',
        { class: 'ok' },
        `Export ready: everything in ${org.name} as one .tar.gz, which `,
        h('code', null, 'npx orgspace import'),
        ' turns back into a workspace. It can be downloaded until ',
        dateTime(job.expiresAt),
        '.',
      ),
      h('p', { class: 'help' }, 'SHA-256 ', h('code', { class: 'digest' }, job.sha256 ?? '—')),
      h('div', { class: 'actions' }, link),
      note,
    )
  }

  const run = async () => {
    button.disabled = true
    try {
      let job = await whileBusy(button, () => api.createExport(org.id))
      while (job.status === 'running') {
        showProgress(job)
        await wait(POLL_MS)
        if (signal.aborted) return
        job = await api.exportJob(org.id, job.id, signal)
      }
      if (job.status === 'failed')
        fill(
          status,
          problem(
            'The export failed.',
            'Nothing in the workspace was changed. Try again; if it fails again, the server log says why.',
          ),
        )
      else showReady(job)
    } catch (error) {
      if (!isAbort(error)) fill(status, errorBox(error, 'Export not finished'))
    } finally {
      button.disabled = false
    }
  }
  button.addEventListener('click', () => void run())
  return { button, status }
}
