import http from 'node:http'
import https from 'node:https'
import { isIP } from 'node:net'
import { performance } from 'node:perf_hooks'
import {
  AddressRefused,
  guardedLookup,
  hostOf,
  isPublicAddress,
  type AddressPolicy,
} from './address-policy.js'

// One delivery attempt: a POST of the body with its headers, answered or not within the timeout. Redirects are
// not followed (a redirect could lead past the address check). The answer's body is read and dropped: it is
// never stored or logged.

export interface AttemptResult {
  /** The HTTP status of the answer; null when there was none (refused, unreachable, timed out). */
  status: number | null
  durationMs: number
  /** What went wrong, in a few words fit for a delivery log; null for a 2xx. */
  error: string | null
}

export interface Sender {
  post(url: string, headers: Record<string, string>, body: string): Promise<AttemptResult>
  close(): void
}

/** What a failed attempt's log says: the kind of failure, never a response body or a header. */
function describe(error: unknown): string {
  if (error instanceof AddressRefused) return error.message
  const code = (error as { code?: unknown }).code
  if (code === 'ABORT_ERR' || (error as { name?: unknown }).name === 'AbortError') return 'timed out'
  if (typeof code === 'string') return `connection failed (${code})`
  return 'connection failed'
}

export function createSender(policy: AddressPolicy, timeoutMs: number, maxSockets: number): Sender {
  // Keep-alive: a busy endpoint is sent one delivery after another on the same connection. Every new connection
  // goes through the guarded lookup.
  const agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets }),
    'https:': new https.Agent({ keepAlive: true, maxSockets }),
  }
  const lookup = guardedLookup(policy)

  async function post(text: string, headers: Record<string, string>, body: string): Promise<AttemptResult> {
    const started = performance.now()
    const elapsed = () => Math.round(performance.now() - started)
    const url = new URL(text)
    const host = hostOf(url)
    // An address literal needs no lookup, so the guarded lookup never sees it: it is checked here.
    if (!policy.allowPrivate && isIP(host) !== 0 && !isPublicAddress(host))
      return { status: null, durationMs: 0, error: new AddressRefused(host).message }
    const client = url.protocol === 'https:' ? https : http
    const agent = url.protocol === 'https:' ? agents['https:'] : agents['http:']
    return new Promise<AttemptResult>((resolve) => {
      const request = client.request(
        url,
        {
          method: 'POST',
          agent,
          lookup,
          signal: AbortSignal.timeout(timeoutMs),
          headers: {
            'content-type': 'application/json',
            'content-length': String(Buffer.byteLength(body)),
            'user-agent': 'orgspace-webhooks',
            ...headers,
          },
        },
        (response) => {
          const status = response.statusCode ?? 0
          response.resume()
          response.once('end', () =>
            resolve({
              status,
              durationMs: elapsed(),
              error: status >= 200 && status < 300 ? null : `answered ${status}`,
            }),
          )
          response.once('error', (error) =>
            resolve({ status, durationMs: elapsed(), error: describe(error) }),
          )
        },
      )
      request.once('error', (error) =>
        resolve({ status: null, durationMs: elapsed(), error: describe(error) }),
      )
      request.end(body)
    })
  }

  return {
    post,
    close() {
      agents['http:'].destroy()
      agents['https:'].destroy()
    },
  }
}
