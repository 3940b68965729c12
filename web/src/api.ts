import { ErrorCode } from '../../src/contract/errors.js'
import { getToken } from './session.js'
import type {
  App,
  AuditEvent,
  Collaborator,
  ListedCollaborator,
  DeleteOrganizationResult,
  DeleteResult,
  Deletion,
  DeletionCertificate,
  DeletionPreview,
  Export,
  Device,
  Organization,
  Retention,
  Page,
  SlugCheck,
  User,
  Webhook,
  CreatedWebhook,
  WebhookDelivery,
  Token,
  AppToken,
  Build,
  NewToken,
  NewAppToken,
  Subscription,
} from './types.js'

export interface FieldError {
  path: string
  message: string
}

/** A failure answered by the API (or the network), carrying the envelope's code, message and details. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly status: number,
    readonly fieldErrors: FieldError[] = [],
    readonly reason = '',
  ) {
    super(message)
    this.name = 'ApiError'
  }

  get isAuth(): boolean {
    return (
      this.code === ErrorCode.NoAuthToken ||
      this.code === ErrorCode.InvalidToken ||
      this.code === ErrorCode.TokenExpired
    )
  }
}

/** Code used when the server could not be reached or answered something that is not the envelope. */
const NETWORK_ERROR = 0

/** Called when a stored token stops working, so the app can send the user back to sign-in. */
let onAuthLost: (error: ApiError) => void = () => undefined
export function setAuthLostHandler(handler: (error: ApiError) => void): void {
  onAuthLost = handler
}

function asFieldErrors(value: unknown): FieldError[] {
  if (!Array.isArray(value)) return []
  return value.flatMap((item: unknown) => {
    if (typeof item !== 'object' || item === null) return []
    const { path, message } = item as Record<string, unknown>
    return typeof message === 'string' ? [{ path: typeof path === 'string' ? path : '', message }] : []
  })
}

/** The ApiError an envelope `{status: false, error}` (or anything else) stands for. */
function envelopeError(payload: unknown, status: number): ApiError {
  const error = ((payload as { error?: Record<string, unknown> } | null)?.error ?? {}) as Record<
    string,
    unknown
  >
  const data = (error.data ?? {}) as Record<string, unknown>
  return new ApiError(
    typeof error.code === 'number' ? error.code : NETWORK_ERROR,
    typeof error.message === 'string' ? error.message : `Request failed (${status})`,
    status,
    asFieldErrors(data.errors),
    typeof data.reason === 'string' ? data.reason : '',
  )
}

interface RequestOptions {
  body?: unknown
  token?: string
  signal?: AbortSignal
}

async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const token = options.token ?? getToken()
  const headers: Record<string, string> = { accept: 'application/json' }
  if (token) headers.authorization = `Bearer ${token}`
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  let response: Response
  try {
    response = await fetch(`/v1${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    })
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error
    throw new ApiError(NETWORK_ERROR, 'Could not reach the orgspace server. Check your connection.', 0)
  }
  let payload: unknown
  try {
    payload = await response.json()
  } catch {
    throw new ApiError(NETWORK_ERROR, `The server answered ${response.status} without a readable body.`, 0)
  }
  const envelope = payload as { status?: boolean; data?: T }
  if (envelope.status === true) return envelope.data as T
  const failure = envelopeError(payload, response.status)
  // A token that worked at sign-in can expire or be revoked later; sign-in itself passes its own token.
  if (failure.isAuth && options.token === undefined) {
    onAuthLost(failure)
    // Signing out re-renders and aborts the view that asked: it must not paint its error over sign-in.
    if (options.signal?.aborted) throw new DOMException('signed out', 'AbortError')
  }
  throw failure
}

/**
 * A file the API serves as itself rather than in the envelope (an export's archive), fetched with the token: a
 * plain link cannot carry the Authorization header. Failures still come in the envelope.
 */
async function download(path: string): Promise<{ blob: Blob; filename: string }> {
  const token = getToken()
  let response: Response
  try {
    response = await fetch(`/v1${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} })
  } catch {
    throw new ApiError(NETWORK_ERROR, 'Could not reach the orgspace server. Check your connection.', 0)
  }
  if (response.ok) {
    const named = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')
    return { blob: await response.blob(), filename: named?.[1] ?? 'download' }
  }
  const payload = (await response.json().catch(() => null)) as { error?: Record<string, unknown> } | null
  const error = payload?.error ?? {}
  const failure = new ApiError(
    typeof error.code === 'number' ? error.code : NETWORK_ERROR,
    typeof error.message === 'string' ? error.message : `Download failed (${response.status})`,
    response.status,
  )
  if (failure.isAuth) onAuthLost(failure)
  throw failure
}

const enc = encodeURIComponent

function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') search.set(key, String(value))
  }
  const text = search.toString()
  return text ? `?${text}` : ''
}

export interface AuditFilter {
  action?: string
  dateIni?: string
  dateEnd?: string
}

export interface ListParams {
  page?: number
  limit?: number
  signal?: AbortSignal
}

const org = (ref: string) => `/organizations/${enc(ref)}`

export const api = {
  me: (token?: string) => request<User>('GET', '/users/me', token === undefined ? {} : { token }),

  organizations: (p: ListParams & { name?: string }) =>
    request<Page<Organization>>(
      'GET',
      `/organizations${query({ page: p.page, limit: p.limit, name: p.name, sort: 'name:asc' })}`,
      { signal: p.signal },
    ),
  createOrganization: (name: string) => request<Organization>('POST', '/organizations', { body: { name } }),
  organization: (ref: string, signal?: AbortSignal) => request<Organization>('GET', org(ref), { signal }),
  actions: (ref: string, signal?: AbortSignal) =>
    request<{ items: string[] }>('GET', `${org(ref)}/actions`, { signal }),
  checkSlug: (slug: string, signal?: AbortSignal) =>
    request<SlugCheck>('GET', `/organizations/check-slug/${enc(slug)}`, { signal }),
  updateOrganization: (ref: string, body: { name?: string; slug?: string; retention?: Partial<Retention> }) =>
    request<Organization>('PUT', org(ref), { body }),
  changeOwner: (ref: string, newOwner: string) =>
    request<{ changed: boolean }>('POST', `${org(ref)}/change-owner`, { body: { newOwner } }),

  collaborators: (ref: string, p: ListParams) =>
    request<Page<ListedCollaborator>>(
      'GET',
      `${org(ref)}/collaborators${query({ page: p.page, limit: p.limit })}`,
      {
        signal: p.signal,
      },
    ),
  apps: (ref: string, p: ListParams) =>
    request<Page<App>>('GET', `${org(ref)}/apps${query({ page: p.page, limit: p.limit })}`, {
      signal: p.signal,
    }),
  devices: (ref: string, p: ListParams) =>
    request<Page<Device>>('GET', `${org(ref)}/devices${query({ page: p.page, limit: p.limit })}`, {
      signal: p.signal,
    }),
  /** `action`: one action or a kind (`device.`); `dateIni`/`dateEnd`: inclusive ISO instants. */
  audit: (ref: string, p: ListParams & AuditFilter) =>
    request<Page<AuditEvent>>(
      'GET',
      `${org(ref)}/audit${query({ page: p.page, limit: p.limit, action: p.action, dateIni: p.dateIni, dateEnd: p.dateEnd })}`,
      { signal: p.signal },
    ),

  cancelSubscription: (ref: string, subscriptionId: string) =>
    request<unknown>('POST', `${org(ref)}/subscriptions/${enc(subscriptionId)}/cancel`, { body: {} }),
  deletionPreview: (ref: string, signal?: AbortSignal) =>
    request<DeletionPreview>('GET', `${org(ref)}/deletion-preview`, { signal }),
  deleteOrganization: (ref: string) => request<DeleteOrganizationResult>('DELETE', org(ref)),
  deletion: (id: string, signal?: AbortSignal) =>
    request<Deletion>('GET', `/deletions/${enc(id)}`, { signal }),
  deletionCertificate: (id: string) =>
    request<DeletionCertificate>('GET', `/deletions/${enc(id)}/certificate`),
  restoreDeletion: (id: string) => request<Deletion>('POST', `/deletions/${enc(id)}/restore`, { body: {} }),
  webhooks: (ref: string, p: ListParams) =>
    request<Page<Webhook>>('GET', `${org(ref)}/webhooks${query({ page: p.page, limit: p.limit })}`, {
      signal: p.signal,
    }),
  createWebhook: (ref: string, body: { url: string; events: string[]; description?: string }) =>
    request<CreatedWebhook>('POST', `${org(ref)}/webhooks`, { body }),
  updateWebhook: (ref: string, webhookId: string, body: { enabled?: boolean }) =>
    request<Webhook>('PUT', `${org(ref)}/webhooks/${enc(webhookId)}`, { body }),
  removeWebhook: (ref: string, webhookId: string) =>
    request<DeleteResult>('DELETE', `${org(ref)}/webhooks/${enc(webhookId)}`),
  testWebhook: (ref: string, webhookId: string) =>
    request<WebhookDelivery>('POST', `${org(ref)}/webhooks/${enc(webhookId)}/test`),
  webhookDeliveries: (ref: string, webhookId: string, p: ListParams) =>
    request<Page<WebhookDelivery>>(
      'GET',
      `${org(ref)}/webhooks/${enc(webhookId)}/deliveries${query({ page: p.page, limit: p.limit })}`,
      { signal: p.signal },
    ),
  retryDelivery: (ref: string, webhookId: string, deliveryId: string) =>
    request<WebhookDelivery>(
      'POST',
      `${org(ref)}/webhooks/${enc(webhookId)}/deliveries/${enc(deliveryId)}/retry`,
    ),

  createExport: (ref: string) => request<Export>('POST', `${org(ref)}/exports`),
  exportJob: (ref: string, exportId: string, signal?: AbortSignal) =>
    request<Export>('GET', `${org(ref)}/exports/${enc(exportId)}`, { signal }),
  downloadExport: (ref: string, exportId: string) =>
    download(`${org(ref)}/exports/${enc(exportId)}/download`),

  deletions: (p: ListParams) =>
    request<Page<Deletion>>('GET', `/deletions${query({ page: p.page, limit: p.limit })}`, {
      signal: p.signal,
    }),

  // Managing a workspace's resources (docs/api.md §5, §7) and the caller's own tokens.
  findCollaborators: (ref: string, p: ListParams & { email?: string; role?: string }) =>
    listOf<ListedCollaborator>(`${org(ref)}/collaborators`, p, { email: p.email, role: p.role }),
  addCollaborator: (ref: string, body: { email: string; role: string; name?: string }) =>
    request<Collaborator>('POST', `${org(ref)}/collaborators`, { body }),
  changeRole: (ref: string, collaboratorId: string, role: string) =>
    request<Collaborator>('PUT', `${org(ref)}/collaborators/${enc(collaboratorId)}`, { body: { role } }),
  removeCollaborator: (ref: string, collaboratorId: string) =>
    request<DeleteResult>('DELETE', `${org(ref)}/collaborators/${enc(collaboratorId)}`),

  findApps: (ref: string, p: ListParams & { name?: string }) =>
    listOf<App>(`${org(ref)}/apps`, p, { name: p.name, sort: 'name:asc' }),
  app: (ref: string, appId: string, signal?: AbortSignal) =>
    request<App>('GET', `${org(ref)}/apps/${enc(appId)}`, { signal }),
  createApp: (ref: string, body: { name: string; slug?: string; description?: string }) =>
    request<App>('POST', `${org(ref)}/apps`, { body }),
  updateApp: (ref: string, appId: string, body: { name?: string; slug?: string; description?: string }) =>
    request<App>('PUT', `${org(ref)}/apps/${enc(appId)}`, { body }),
  removeApp: (ref: string, appId: string) =>
    request<DeleteResult>('DELETE', `${org(ref)}/apps/${enc(appId)}`),

  builds: (ref: string, appId: string, p: ListParams) =>
    listOf<Build>(`${org(ref)}/apps/${enc(appId)}/builds`, p),
  removeBuild: (ref: string, appId: string, buildId: string) =>
    request<DeleteResult>('DELETE', `${org(ref)}/apps/${enc(appId)}/builds/${enc(buildId)}`),
  uploadBuild: (ref: string, appId: string, form: FormData, progress: UploadProgress) =>
    upload<Build>(`${org(ref)}/apps/${enc(appId)}/builds`, form, progress),
  downloadBuild: (ref: string, appId: string, buildId: string) =>
    download(`${org(ref)}/apps/${enc(appId)}/builds/${enc(buildId)}/download`),

  appTokens: (ref: string, appId: string, p: ListParams) =>
    listOf<AppToken>(`${org(ref)}/apps/${enc(appId)}/tokens`, p),
  createAppToken: (ref: string, appId: string, body: { name: string; expiresInDays?: number }) =>
    request<NewAppToken>('POST', `${org(ref)}/apps/${enc(appId)}/tokens`, { body }),
  revokeAppToken: (ref: string, appId: string, tokenId: string) =>
    request<DeleteResult>('DELETE', `${org(ref)}/apps/${enc(appId)}/tokens/${enc(tokenId)}`),

  findDevices: (ref: string, p: ListParams & { platform?: string }) =>
    listOf<Device>(`${org(ref)}/devices`, p, { platform: p.platform }),
  enrollDevice: (ref: string, body: { platform: string; serialNumber: string; name?: string }) =>
    request<Device>('POST', `${org(ref)}/devices`, { body }),
  unenrollDevice: (ref: string, deviceId: string) =>
    request<DeleteResult>('DELETE', `${org(ref)}/devices/${enc(deviceId)}`),

  subscriptions: (ref: string, p: ListParams & { status?: string }) =>
    listOf<Subscription>(`${org(ref)}/subscriptions`, p, { status: p.status }),
  startSubscription: (ref: string, plan: string) =>
    request<Subscription>('POST', `${org(ref)}/subscriptions`, { body: { plan } }),

  tokens: (p: ListParams) => listOf<Token>('/users/me/tokens', p),
  createToken: (body: { name: string; expiresInDays?: number; organizationId?: string }) =>
    request<NewToken>('POST', '/users/me/tokens', { body }),
  revokeToken: (tokenId: string) => request<DeleteResult>('DELETE', `/users/me/tokens/${enc(tokenId)}`),
}

function listOf<T>(path: string, p: ListParams, filters: Record<string, string | undefined> = {}) {
  return request<Page<T>>('GET', `${path}${query({ page: p.page, limit: p.limit, ...filters })}`, {
    signal: p.signal,
  })
}

export interface UploadProgress {
  /** Called as the body goes out: bytes sent of the total. */
  onProgress: (sent: number, total: number) => void
  signal?: AbortSignal
}

/**
 * A multipart upload through XMLHttpRequest, the one browser API that reports how much of a request body has
 * been sent: a build can be large, and a progress bar is the only sign it is moving.
 */
function upload<T>(path: string, form: FormData, progress: UploadProgress): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('POST', `/v1${path}`)
    xhr.setRequestHeader('accept', 'application/json')
    const token = getToken()
    if (token) xhr.setRequestHeader('authorization', `Bearer ${token}`)
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) progress.onProgress(event.loaded, event.total)
    })
    xhr.addEventListener('load', () => {
      let payload: unknown
      try {
        payload = JSON.parse(xhr.responseText)
      } catch {
        reject(new ApiError(NETWORK_ERROR, `The server answered ${xhr.status} without a readable body.`, 0))
        return
      }
      const envelope = payload as { status?: boolean; data?: T }
      if (envelope.status === true) return resolve(envelope.data as T)
      const failure = envelopeError(payload, xhr.status)
      if (failure.isAuth) onAuthLost(failure)
      reject(failure)
    })
    // A refused upload may close the connection before the body is sent: the answer is then unreadable.
    xhr.addEventListener('error', () =>
      reject(
        new ApiError(NETWORK_ERROR, 'The upload was interrupted before the server answered. Try again.', 0),
      ),
    )
    xhr.addEventListener('abort', () => reject(new DOMException('upload cancelled', 'AbortError')))
    progress.signal?.addEventListener('abort', () => xhr.abort())
    xhr.send(form)
  })
}
