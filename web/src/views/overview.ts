import { noun } from '../../../src/contract/units.js'
import { ErrorCode } from '../../../src/contract/errors.js'
import { api, ApiError } from '../api.js'
import { h, fill, type Child } from '../dom.js'
import { describeEvent } from '../history.js'
import { paths } from '../router.js'
import type { Page } from '../types.js'
import { dateTime, errorBox, loading, pager } from '../ui.js'
import { isAbort } from './context.js'
import { P, type WorkspaceContext } from './workspace-context.js'

const PAGE_SIZE = 10

/**
 * A titled, paginated list that loads on its own: one slow or failing resource does not hold back the
 * rest of the overview.
 */
function pagedSection<T>(
  ctx: WorkspaceContext,
  id: string,
  title: string,
  fetchPage: (page: number, signal: AbortSignal) => Promise<Page<T>>,
  row: (item: T) => Child,
  empty: string,
): HTMLElement {
  const body = h('div')
  const section = h(
    'section',
    { class: 'card', id, 'aria-labelledby': `${id}-h` },
    h('h2', { id: `${id}-h` }, title),
    body,
  )
  const load = async (page: number) => {
    fill(body, loading())
    try {
      const data = await fetchPage(page, ctx.signal)
      fill(
        body,
        data.items.length === 0
          ? h('p', { class: 'empty' }, empty)
          : h(
              'ul',
              { class: 'rows', 'aria-label': title },
              data.items.map((item) => h('li', null, row(item))),
            ),
        pager(data, (p) => void load(p), title),
      )
    } catch (error) {
      if (isAbort(error)) return
      // A route this server does not have yet reads better as a note than as an error.
      if (error instanceof ApiError && error.code === ErrorCode.RouteNotFound)
        fill(body, h('p', { class: 'empty' }, 'This server does not offer this list.'))
      else fill(body, errorBox(error))
    }
  }
  void load(1)
  return section
}

/** `1 app`, `3 apps`: the number stands out, the noun agrees with it. */
function countItem(n: number, one: string): HTMLElement {
  return h('li', null, h('strong', null, String(n)), ` ${noun(n, one)}`)
}

export async function renderOverview(ctx: WorkspaceContext): Promise<void> {
  const { org } = ctx
  const ref = org.id
  const subscriptions =
    org.subscriptions.length === 0
      ? h('p', { class: 'empty' }, 'No subscriptions.')
      : h(
          'ul',
          { class: 'rows', 'aria-label': 'Subscriptions' },
          org.subscriptions.map((s) =>
            h(
              'li',
              null,
              h('strong', null, s.plan),
              ' ',
              h('span', { class: `badge status-${s.status}` }, s.status),
            ),
          ),
        )
  const auditSection = ctx.can(P.auditList)
    ? pagedSection(
        ctx,
        'audit',
        'Recent history',
        (page, signal) => api.audit(ref, { page, limit: PAGE_SIZE, signal }),
        (e) => [
          h('span', { class: 'history-text' }, describeEvent(e)),
          h('br'),
          h('span', { class: 'muted' }, dateTime(e.createdAt)),
        ],
        'Nothing recorded yet.',
      )
    : h(
        'section',
        { class: 'card', id: 'audit', 'aria-labelledby': 'audit-h' },
        h('h2', { id: 'audit-h' }, 'Recent history'),
        h('p', { class: 'note' }, 'Only the owner and admins can read the audit history of this workspace.'),
      )

  fill(
    ctx.panel,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'summary-h' },
      h('h2', { id: 'summary-h' }, 'Summary'),
      h(
        'dl',
        { class: 'facts' },
        h('dt', null, 'Name'),
        h('dd', null, org.name),
        h('dt', null, 'Slug'),
        h('dd', null, h('span', { class: 'slug' }, org.slug)),
        h('dt', null, 'Your role'),
        h('dd', null, org.role),
        h('dt', null, 'Owner'),
        h('dd', null, org.owner.email),
        h('dt', null, 'Web site'),
        h('dd', null, org.webSiteUrl ?? '—'),
        h('dt', null, 'Created'),
        h('dd', null, dateTime(org.createdAt)),
      ),
      h(
        'ul',
        { class: 'counts', 'aria-label': 'Counts' },
        countItem(org.counts.apps, 'app'),
        countItem(org.counts.devices, 'device'),
        countItem(org.counts.collaborators, 'collaborator'),
      ),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'subs-h' },
      h('h2', { id: 'subs-h' }, 'Subscriptions'),
      subscriptions,
    ),
    pagedSection(
      ctx,
      'collaborators',
      'Collaborators',
      (page, signal) => api.collaborators(ref, { page, limit: PAGE_SIZE, signal }),
      (c) => [
        h('strong', null, c.user.email),
        c.user.name ? h('span', { class: 'muted' }, ` (${c.user.name})`) : null,
        ' ',
        h('span', { class: `badge role-${c.role}` }, c.role),
      ],
      'No collaborators.',
    ),
    pagedSection(
      ctx,
      'apps',
      'Apps',
      (page, signal) => api.apps(ref, { page, limit: PAGE_SIZE, signal }),
      (a) => [h('strong', null, a.name), ' ', h('span', { class: 'slug' }, a.slug)],
      'No apps.',
    ),
    pagedSection(
      ctx,
      'devices',
      'Devices',
      (page, signal) => api.devices(ref, { page, limit: PAGE_SIZE, signal }),
      (d) => [
        h('strong', null, d.name || d.serialNumber),
        ' ',
        h(
          'span',
          { class: 'muted' },
          [d.platform, d.name ? d.serialNumber : null, d.state].filter(Boolean).join(' · '),
        ),
      ],
      'No devices enrolled.',
    ),
    auditSection,
  )
  if (ctx.can(P.auditList))
    auditSection.append(
      h('p', null, h('a', { href: paths.workspace(org.id, 'history') }, 'Filter the whole history')),
    )
}
