import { ErrorCode } from '../../../src/contract/errors.js'
import { api } from '../api.js'
import { h, fill } from '../dom.js'
import type { Device } from '../types.js'
import { dateTime, errorBox, notice, whileBusy } from '../ui.js'
import { card, confirmFirst, field, pagedList, PAGE_SIZE, select, type PagedList } from './manage.js'
import { P, type WorkspaceContext } from './workspace-context.js'

// Devices: the workspace's enrolled devices by platform, enrolling one by serial number, unenrolling.

const PLATFORMS: [string, string][] = [
  ['android', 'Android'],
  ['apple', 'Apple'],
  ['windows', 'Windows'],
]
const platformName = (value: string) => PLATFORMS.find(([v]) => v === value)?.[1] ?? value

function deviceRow(ctx: WorkspaceContext, d: Device, reload: () => void): HTMLElement {
  const row = h(
    'li',
    { class: 'item', 'data-device': d.id },
    h(
      'div',
      { class: 'item-main' },
      h('strong', null, d.name || d.serialNumber),
      ' ',
      h('span', { class: 'badge' }, platformName(d.platform)),
      h('br'),
      h(
        'span',
        { class: 'muted small' },
        d.name ? ['Serial ', h('span', { class: 'slug' }, d.serialNumber), ' · '] : null,
        `${d.state} `,
        dateTime(d.enrolledAt),
      ),
    ),
  )
  if (ctx.can(P.deviceUnenroll)) {
    const unenroll = h('button', { type: 'button', class: 'small' }, 'Unenroll…')
    row.append(h('div', { class: 'item-actions' }, unenroll))
    confirmFirst(row, unenroll, {
      question: `Unenroll ${d.name || d.serialNumber}? It leaves the workspace; the history keeps that it was here.`,
      yes: `Yes, unenroll ${d.serialNumber}`,
      no: 'Keep it',
      failure: 'Not unenrolled',
      run: async () => {
        await api.unenrollDevice(ctx.org.id, d.id)
        reload()
      },
    })
  }
  return row
}

function enrollForm(ctx: WorkspaceContext, list: PagedList): HTMLElement {
  const platform = select(PLATFORMS, 'android')
  const serial = h('input', { required: true, maxLength: 128, autocomplete: 'off', spellcheck: false })
  const name = h('input', { maxLength: 128, autocomplete: 'off' })
  const feedback = h('div', { 'aria-live': 'polite' })
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Enroll device')
  return card(
    'enroll',
    'Enroll a device',
    h(
      'form',
      {
        onSubmit: async (event: Event) => {
          event.preventDefault()
          fill(feedback)
          const body = {
            platform: platform.value,
            serialNumber: serial.value.trim(),
            name: name.value.trim() || undefined,
          }
          try {
            const device = await whileBusy(submit, () => api.enrollDevice(ctx.org.id, body))
            serial.value = ''
            name.value = ''
            fill(feedback, notice(`${device.serialNumber} is enrolled.`, 'success'))
            await list.load(1)
          } catch (error) {
            fill(
              feedback,
              errorBox(error, 'Not enrolled', {
                [ErrorCode.Conflict]:
                  'A device with this serial number is already enrolled here: find it in the list.',
              }),
            )
          }
        },
      },
      field('Platform', platform),
      field('Serial number', serial, 'Unique within this workspace.'),
      field('Name', name, 'Optional: how people call this device.'),
      feedback,
      h('div', { class: 'actions' }, submit),
    ),
  )
}

export async function renderDevices(ctx: WorkspaceContext): Promise<void> {
  const platformFilter = select([['', 'Every platform'], ...PLATFORMS])
  const list = pagedList<Device>({
    label: 'Devices',
    noun: ['device', 'devices'],
    signal: ctx.signal,
    fetch: (page, signal) =>
      api.findDevices(ctx.org.id, {
        page,
        limit: PAGE_SIZE,
        signal,
        platform: platformFilter.value || undefined,
      }),
    row: (d, reload) => deviceRow(ctx, d, reload),
    empty: () =>
      platformFilter.value
        ? `No ${platformName(platformFilter.value)} device is enrolled.`
        : 'No devices enrolled.',
    filters: { platform: platformFilter },
  })
  platformFilter.addEventListener('change', () => void list.load(1))
  fill(
    ctx.panel,
    card(
      'device-list',
      'Devices',
      h(
        'form',
        { role: 'search', class: 'filters', onSubmit: (e: Event) => e.preventDefault() },
        h('div', null, field('Show platform', platformFilter)),
      ),
      list.element,
    ),
    ctx.can(P.deviceEnroll) ? enrollForm(ctx, list) : null,
  )
  await list.load(1)
}
