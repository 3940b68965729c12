// The API token lives in sessionStorage: it is gone when the tab closes, and never sent anywhere but /v1.

const KEY = 'orgspace.token'

export function getToken(): string | null {
  try {
    return sessionStorage.getItem(KEY)
  } catch {
    return null
  }
}

export function setToken(token: string): void {
  sessionStorage.setItem(KEY, token)
}

export function clearToken(): void {
  try {
    sessionStorage.removeItem(KEY)
  } catch {
    // Storage disabled: nothing was kept, so nothing to forget.
  }
}
