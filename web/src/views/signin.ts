import { api } from '../api.js'
import { h, fill, uid } from '../dom.js'
import { setToken } from '../session.js'
import { errorBox, whileBusy } from '../ui.js'
import type { User } from '../types.js'

/** The sign-in screen: paste a token, which is checked against GET /v1/users/me before it is kept. */
export function renderSignIn(main: HTMLElement, onSignedIn: (user: User) => void): void {
  const inputId = uid('token')
  const helpId = uid('token-help')
  const input = h('input', {
    id: inputId,
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    spellcheck: false,
    required: true,
    'aria-describedby': helpId,
  })
  const feedback = h('div', { 'aria-live': 'polite' })
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in')
  const form = h(
    'form',
    {
      class: 'card narrow',
      onSubmit: async (event: Event) => {
        event.preventDefault()
        const token = input.value.trim()
        if (!token) {
          fill(feedback, errorBox(new Error('Paste your API token first.')))
          input.focus()
          return
        }
        fill(feedback)
        try {
          const user = await whileBusy(submit, () => api.me(token))
          setToken(token)
          onSignedIn(user)
        } catch (error) {
          fill(feedback, errorBox(error, 'Sign-in failed'))
          input.select()
        }
      },
    },
    h('h1', { tabindex: -1 }, 'Sign in to orgspace'),
    h('label', { for: inputId }, 'API token'),
    input,
    h(
      'div',
      { id: helpId, class: 'help' },
      h('p', null, 'No token yet? On the machine that runs orgspace, create a user and print a token with:'),
      h('pre', null, h('code', null, 'npx orgspace user create --email you@example.com')),
      h(
        'p',
        null,
        'The token is kept only in this browser tab (sessionStorage) and is forgotten when you sign out or close the tab.',
      ),
    ),
    feedback,
    h('div', { class: 'actions' }, submit),
  )
  fill(main, form)
  input.focus()
}
