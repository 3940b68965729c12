import { api } from '../api.js'
import { h, fill } from '../dom.js'
import { paths, TABS, type WorkspaceTab } from '../router.js'
import type { Organization } from '../types.js'
import { errorBox, loading } from '../ui.js'
import { focusHeading, isAbort, type ViewContext } from './context.js'
import { renderApps } from './apps.js'
import { renderCollaborators } from './collaborators.js'
import { renderDanger } from './danger.js'
import { renderDevices } from './devices.js'
import { renderHistory } from './history.js'
import { renderOverview } from './overview.js'
import { renderSettings } from './settings.js'
import { renderSubscriptions } from './subscriptions.js'
import { P, type WorkspaceContext } from './workspace-context.js'

export type Tab = WorkspaceTab

/** Which tabs a role sees: a section opens only for those who may at least read what it shows. */
function allowed(tab: Tab, can: (p: string) => boolean): boolean {
  switch (tab) {
    case 'overview':
      return true
    case 'collaborators':
      return can(P.collaboratorList)
    case 'apps':
      return can(P.appList)
    case 'devices':
      return can(P.deviceList)
    case 'subscriptions':
      return can(P.billingList)
    case 'history':
      return can(P.auditList)
    case 'settings':
      return can(P.update) || can(P.ownerChange)
    case 'danger':
      // An admin may export but not delete: the danger zone then shows the export alone.
      return can(P.remove) || can(P.exportData)
  }
}

const LABELS: Record<Tab, string> = {
  overview: 'Overview',
  collaborators: 'Collaborators',
  apps: 'Apps',
  devices: 'Devices',
  subscriptions: 'Subscriptions',
  history: 'History',
  settings: 'Settings',
  danger: 'Danger zone',
}

function tabs(org: Organization, current: Tab, can: (p: string) => boolean): HTMLElement {
  const entries: [Tab, string, boolean][] = TABS.map((tab) => [tab, LABELS[tab], allowed(tab, can)])
  return h(
    'nav',
    { class: 'tabs', 'aria-label': 'Workspace sections' },
    entries
      .filter(([, , shown]) => shown)
      .map(([tab, label]) =>
        h(
          'a',
          {
            href: paths.workspace(org.id, tab),
            class: tab === 'danger' ? 'tab danger' : 'tab',
            'aria-current': tab === current ? 'page' : null,
          },
          label,
        ),
      ),
  )
}

/** One workspace: its header, the tabs its caller's role allows, and the chosen tab. */
export async function renderWorkspace(
  ctx: ViewContext,
  ref: string,
  tab: Tab,
  appId?: string,
): Promise<void> {
  fill(ctx.main, h('p', null, h('a', { href: paths.workspaces() }, '← All workspaces')), loading())
  let org: Organization
  let permissions: Set<string>
  try {
    const [o, actions] = await Promise.all([api.organization(ref, ctx.signal), api.actions(ref, ctx.signal)])
    org = o
    permissions = new Set(actions.items)
  } catch (error) {
    if (isAbort(error)) return
    fill(
      ctx.main,
      h('p', null, h('a', { href: paths.workspaces() }, '← All workspaces')),
      h('h1', { tabindex: -1 }, 'Workspace unavailable'),
      errorBox(error),
    )
    focusHeading(ctx.main, 'Workspace unavailable')
    return
  }
  const can = (p: string) => permissions.has(p)
  const shown: Tab = allowed(tab, can) ? tab : 'overview'
  const panel = h('div', { class: 'panel' })
  fill(
    ctx.main,
    h('p', null, h('a', { href: paths.workspaces() }, '← All workspaces')),
    h(
      'header',
      { class: 'workspace-header' },
      h('h1', { tabindex: -1 }, org.name),
      h(
        'p',
        { class: 'muted' },
        h('span', { class: 'slug' }, org.slug),
        ' · your role: ',
        h('span', { class: `badge role-${org.role}` }, org.role),
      ),
    ),
    tabs(org, shown, can),
    shown !== tab
      ? h('p', { class: 'notice info', role: 'status' }, `Your role (${org.role}) cannot open that section.`)
      : null,
    panel,
  )
  focusHeading(ctx.main, org.name)
  const wctx: WorkspaceContext = { ...ctx, org, can, panel }
  if (shown === 'settings') await renderSettings(wctx)
  else if (shown === 'danger') await renderDanger(wctx)
  else if (shown === 'collaborators') await renderCollaborators(wctx)
  else if (shown === 'apps') await renderApps(wctx, appId)
  else if (shown === 'devices') await renderDevices(wctx)
  else if (shown === 'subscriptions') await renderSubscriptions(wctx)
  else if (shown === 'history') await renderHistory(wctx)
  else await renderOverview(wctx)
}
