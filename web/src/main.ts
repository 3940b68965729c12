import './styles/base.css'
import './styles/views.css'
import { api, ApiError, setAuthLostHandler } from './api.js'
import { h, fill } from './dom.js'
import { currentRoute, navigate, onRouteChange, paths } from './router.js'
import { clearToken, getToken } from './session.js'
import type { User } from './types.js'
import { errorBox, notice } from './ui.js'
import { flash, focusHeading, takeFlash, type ViewContext } from './views/context.js'
import { renderReceipt } from './views/receipt.js'
import { renderSignIn } from './views/signin.js'
import { renderTokens } from './views/tokens.js'
import { renderWorkspace } from './views/workspace.js'
import { renderWorkspaces } from './views/workspaces.js'

function element(id: string): HTMLElement {
  const found = document.getElementById(id)
  if (!found) throw new Error(`index.html lacks #${id}`)
  return found
}

const view = element('view')
const flashBox = element('flash')
const account = element('account')

let user: User | null = null
let controller: AbortController | null = null

function signOut(message: string, to = paths.workspaces()): void {
  clearToken()
  user = null
  flash(message)
  navigate(to, { replace: to === location.pathname + location.search })
}

// A token can expire or be revoked while the page is open: ask for a new one, then come back here.
setAuthLostHandler((error) => {
  if (!getToken()) return
  signOut(
    `You were signed out: ${error.message}. Paste a valid token to continue.`,
    location.pathname + location.search,
  )
})

function renderAccount(): void {
  if (!user) {
    fill(account)
    return
  }
  fill(
    account,
    h('span', { class: 'who', title: user.email }, user.email),
    h('a', { href: paths.tokens(), class: 'account-link' }, 'API tokens'),
    h(
      'button',
      { type: 'button', onClick: () => signOut('Signed out. The token was removed from this tab.') },
      'Sign out',
    ),
  )
}

async function render(): Promise<void> {
  controller?.abort()
  controller = new AbortController()
  const { signal } = controller
  const message = takeFlash()
  fill(flashBox, message ? notice(message.text, message.kind) : null)

  if (!getToken()) {
    user = null
    renderAccount()
    document.title = 'Sign in — orgspace'
    renderSignIn(view, (signedIn) => {
      user = signedIn
      navigate(location.pathname + location.search, { replace: true })
    })
    return
  }
  if (!user) {
    try {
      user = await api.me()
    } catch (error) {
      if (error instanceof ApiError && error.isAuth) return // the auth-lost handler re-renders
      fill(view, h('h1', { tabindex: -1 }, 'orgspace is unreachable'), errorBox(error))
      return
    }
  }
  renderAccount()
  const ctx: ViewContext = { main: view, signal, user }
  const route = currentRoute()
  switch (route.name) {
    case 'workspaces':
      return renderWorkspaces(ctx, route.query)
    case 'workspace':
      return renderWorkspace(ctx, route.ref, route.tab, route.appId)
    case 'tokens':
      return renderTokens(ctx)
    case 'deletion':
      return renderReceipt(ctx, route.id)
    case 'notFound':
      fill(
        view,
        h('h1', { tabindex: -1 }, 'Page not found'),
        h(
          'p',
          null,
          'Nothing lives at this address. ',
          h('a', { href: paths.workspaces() }, 'Go to your workspaces'),
        ),
      )
      focusHeading(view, 'Page not found')
  }
}

onRouteChange(() => void render())
void render()
