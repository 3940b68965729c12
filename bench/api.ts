import { performance } from 'node:perf_hooks'
import { envelopeData, type HttpClient } from './http.js'
import { sleep } from './stats.js'

// The few orgspace calls the scenarios share.

export const CASCADE_PATH = (ref: string) => `/baseline/v1/organizations/${ref}`

/** DELETE through orgspace; returns the receipt's id and the answer's latency. */
export async function deleteOrganization(
  client: HttpClient,
  ref: string,
): Promise<{ deletionId: string; ms: number }> {
  const result = await client.expectOk('DELETE', `/v1/organizations/${ref}`)
  const { deletionId } = envelopeData(result)
  if (typeof deletionId !== 'string') throw new Error(`DELETE answered without a deletionId: ${result.text}`)
  return { deletionId, ms: result.ms }
}

/** DELETE through the baseline's in-request cascade; returns the answer's latency. */
export async function cascadeDelete(client: HttpClient, ref: string): Promise<number> {
  return (await client.expectOk('DELETE', CASCADE_PATH(ref))).ms
}

export interface Receipt {
  status: string
  counts: Record<string, number>
  requestedAt: string
  completedAt: string | null
}

/** Polls GET /v1/deletions/:id until the purge has completed; returns the receipt and when it was seen. */
export async function waitForReceipt(
  client: HttpClient,
  deletionId: string,
  { everyMs = 25, timeoutMs = 600_000 } = {},
): Promise<{ receipt: Receipt; seenAt: number }> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const data = envelopeData(await client.expectOk('GET', `/v1/deletions/${deletionId}`))
    if (data.status === 'completed')
      return {
        receipt: {
          status: data.status,
          counts: (data.counts ?? {}) as Record<string, number>,
          requestedAt: String(data.requestedAt),
          completedAt: typeof data.completedAt === 'string' ? data.completedAt : null,
        },
        seenAt: performance.now(),
      }
    if (data.status === 'failed') throw new Error(`purge failed: ${JSON.stringify(data)}`)
    if (performance.now() > deadline) throw new Error(`purge not completed after ${timeoutMs} ms`)
    await sleep(everyMs)
  }
}

/** Empty organizations every fixture carries, deleted by warmUp(). */
export const WARM_UP_SLUGS = ['warm-up-1', 'warm-up-2', 'warm-up-3'] as const

/**
 * Brings a fresh server to steady state before anything is timed: the request path and the deletion path run
 * a few times (JIT, statement caches, connection pool), and the warm-up organizations' purges have finished.
 */
export async function warmUp(
  client: HttpClient,
  { readRef, server }: { readRef: string; server: 'orgspace' | 'baseline' },
): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await client.expectOk('GET', '/v1/users/me')
    await client.expectOk('GET', `/v1/organizations/${readRef}`)
  }
  for (const slug of WARM_UP_SLUGS) {
    if (server === 'baseline') await cascadeDelete(client, slug)
    else await waitForReceipt(client, (await deleteOrganization(client, slug)).deletionId)
  }
  // A completed purge is followed by the reclaim of what it touched (on PostgreSQL a VACUUM of those tables,
  // 130 ms when the history holds a large organization's 100,000 events): the worker is busy until it ends, and a
  // measurement started at once would time the warm-up's tail.
  if (server === 'orgspace') await sleep(RECLAIM_SETTLE_MS)
}

const RECLAIM_SETTLE_MS = 500
