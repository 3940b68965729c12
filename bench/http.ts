import { Agent, request } from 'node:http'
import { performance } from 'node:perf_hooks'

export interface HttpResult {
  status: number
  body: unknown
  /** The raw bytes of the body, for handing the exact same payload to the bare route. */
  text: string
  ms: number
}

/**
 * A minimal keep-alive JSON client on node:http: no dependency, and nothing between the harness and the socket
 * that could add its own queueing to the latencies it measures.
 */
export class HttpClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 256 })

  constructor(
    readonly baseUrl: string,
    private readonly token?: string,
  ) {}

  request(
    method: string,
    path: string,
    body?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<HttpResult> {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const url = new URL(path, this.baseUrl)
    const headers: Record<string, string> = { ...extraHeaders }
    if (this.token) headers.authorization = `Bearer ${this.token}`
    if (payload !== undefined) {
      headers['content-type'] = 'application/json'
      headers['content-length'] = String(Buffer.byteLength(payload))
    }
    const started = performance.now()
    return new Promise((resolve, reject) => {
      const req = request(url, { method, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', reject)
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          let parsed: unknown = text
          try {
            parsed = text === '' ? undefined : JSON.parse(text)
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, text, ms: performance.now() - started })
        })
      })
      req.on('error', reject)
      req.end(payload)
    })
  }

  /** Like request(), but anything other than 2xx is an error carrying the answer. */
  async expectOk(method: string, path: string, body?: unknown): Promise<HttpResult> {
    const result = await this.request(method, path, body)
    if (result.status < 200 || result.status >= 300)
      throw new Error(`${method} ${path} answered ${result.status}: ${result.text.slice(0, 300)}`)
    return result
  }

  close(): void {
    this.agent.destroy()
  }
}

/** `data` of an orgspace envelope, checked to be an object. */
export function envelopeData(result: HttpResult): Record<string, unknown> {
  const body = result.body as { data?: unknown } | undefined
  if (!body || typeof body.data !== 'object' || body.data === null)
    throw new Error(`not an envelope with data: ${result.text.slice(0, 200)}`)
  return body.data as Record<string, unknown>
}
