// History-API routing: real URLs that can be bookmarked and reloaded (the server answers index.html for
// them), real <a href> links so keyboard, middle-click and "open in new tab" keep working.

/** The sections of a workspace, each a tab and a URL: `/workspaces/<ref>/<tab>`. */
export const TABS = [
  'overview',
  'collaborators',
  'apps',
  'devices',
  'subscriptions',
  'history',
  'settings',
  'danger',
] as const
export type WorkspaceTab = (typeof TABS)[number]

const isTab = (value: string): value is WorkspaceTab => (TABS as readonly string[]).includes(value)

export type Route =
  | { name: 'workspaces'; query: URLSearchParams }
  | { name: 'workspace'; ref: string; tab: WorkspaceTab; appId?: string }
  | { name: 'deletion'; id: string }
  | { name: 'tokens' }
  | { name: 'notFound' }

function parseRoute(pathname: string, search: string): Route {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent)
  // `/workspaces` is where a user would look for the list, and what a workspace's URL leads up to.
  if (parts.length === 0 || (parts.length === 1 && parts[0] === 'workspaces'))
    return { name: 'workspaces', query: new URLSearchParams(search) }
  if (parts[0] === 'workspaces' && parts[1] !== undefined) {
    const tab = parts[2] ?? 'overview'
    if (parts.length <= 3 && isTab(tab)) return { name: 'workspace', ref: parts[1], tab }
    // One app and its builds: /workspaces/<ref>/apps/<app>.
    if (parts.length === 4 && tab === 'apps' && parts[3] !== undefined)
      return { name: 'workspace', ref: parts[1], tab, appId: parts[3] }
  }
  if (parts[0] === 'account' && parts[1] === 'tokens' && parts.length === 2) return { name: 'tokens' }
  if (parts[0] === 'deletions' && parts[1] !== undefined && parts.length === 2)
    return { name: 'deletion', id: parts[1] }
  return { name: 'notFound' }
}

export const paths = {
  workspaces: (query?: Record<string, string | number>) => {
    const search = new URLSearchParams()
    for (const [k, v] of Object.entries(query ?? {})) if (v !== '' && v !== 1) search.set(k, String(v))
    const text = search.toString()
    return text ? `/?${text}` : '/'
  },
  workspace: (ref: string, tab: WorkspaceTab = 'overview') =>
    `/workspaces/${encodeURIComponent(ref)}${tab === 'overview' ? '' : `/${tab}`}`,
  app: (ref: string, appId: string) =>
    `/workspaces/${encodeURIComponent(ref)}/apps/${encodeURIComponent(appId)}`,
  tokens: () => '/account/tokens',
  deletion: (id: string) => `/deletions/${encodeURIComponent(id)}`,
}

let listener: () => void = () => undefined

export function onRouteChange(render: () => void): void {
  listener = render
  window.addEventListener('popstate', () => listener())
  // Same-origin links are handled here, unless the user asked for a new tab or window.
  document.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0) return
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
    const target = event.target instanceof Element ? event.target.closest('a') : null
    if (!target || target.target || target.hasAttribute('download')) return
    const url = new URL(target.href, location.href)
    if (url.origin !== location.origin || url.pathname.startsWith('/v1') || url.pathname.startsWith('/docs'))
      return
    event.preventDefault()
    navigate(url.pathname + url.search)
  })
}

export function navigate(to: string, { replace = false } = {}): void {
  if (replace) history.replaceState(null, '', to)
  else if (to !== location.pathname + location.search) history.pushState(null, '', to)
  listener()
}

export function currentRoute(): Route {
  return parseRoute(location.pathname, location.search)
}
