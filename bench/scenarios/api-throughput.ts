import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import type { DialectContext } from '../context.js'
import { HttpClient } from '../http.js'
import { openLoop } from '../load.js'
import { startServer, type ServerProcess } from '../server-process.js'
import { round, summarize } from '../stats.js'

// Scenario 4 — requests/s of GET /v1/organizations/:slug for the large organization and for an empty one,
// against a bare Fastify route that returns the same bytes, and the same route making one `select 1` round trip to
// the database first (bare-server.ts). All run as child processes started the same way;
// autocannon (closed loop, `connections` at a time) drives them from this process, taking turns. Then the
// latency of the same GET at a steady 100 requests/s, open loop, beside both bare routes' driven the same way.

export interface ThroughputRun {
  target: 'large' | 'empty' | 'bare' | 'bare-query'
  requestsPerSecond: number
  p50Ms: number
  p99Ms: number
  requests: number
  non2xx: number
  errors: number
  bodyBytes: number
}

export interface ApiThroughputResult {
  connections: number
  seconds: number
  runs: ThroughputRun[]
  /** GET organization of the large organization at a steady rate, open loop, on an otherwise idle server. */
  latency?: SteadyLatency
  /** The bare route driven the same way by the same client, taking turns with `latency` (A B C C B A). */
  bareLatency?: SteadyLatency
  /**
   * The bare route with its one `select 1` round trip, driven the same way: what a GET that reads the database
   * at all pays on this machine, beside the bare route the target is measured against.
   */
  bareQueryLatency?: SteadyLatency
}

export interface SteadyLatency {
  ratePerSecond: number
  n: number
  p50Ms: number
  p99Ms: number
  errors: number
}

const TARGETS = ['large', 'empty', 'bare', 'bare-query'] as const
type Target = (typeof TARGETS)[number]

async function cannon(
  url: string,
  token: string | undefined,
  connections: number,
  seconds: number,
): Promise<autocannon.Result> {
  return autocannon({
    url,
    connections,
    duration: seconds,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  })
}

function aggregate(
  target: ThroughputRun['target'],
  results: readonly autocannon.Result[],
  bodyBytes: number,
): ThroughputRun {
  const sum = (pick: (r: autocannon.Result) => number) => results.reduce((total, r) => total + pick(r), 0)
  const mean = (pick: (r: autocannon.Result) => number) => round(sum(pick) / Math.max(1, results.length), 2)
  return {
    target,
    requestsPerSecond: Math.round(sum((r) => r['2xx']) / sum((r) => r.duration)),
    p50Ms: mean((r) => r.latency.p50),
    p99Ms: mean((r) => r.latency.p99),
    requests: sum((r) => r['2xx'] + r.non2xx),
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    bodyBytes,
  }
}

/**
 * GET at a steady `ratePerSecond`, open loop (see load.ts): each latency counts from when it was due. The URLs take
 * turns (A B C C B A, each a quarter of `seconds`), so that a machine getting busier or quieter weighs on all alike.
 */
async function latenciesAt(
  urls: { url: string; token: string | undefined }[],
  ratePerSecond: number,
  seconds: number,
): Promise<SteadyLatency[]> {
  const runs = urls.map(() => ({ samples: [] as number[], failed: 0 }))
  const order = urls.map((_, i) => i)
  for (const i of [...order, ...order.reverse()]) {
    const target = urls[i]
    const run = runs[i]
    if (!target || !run) continue
    const client = new HttpClient(new URL(target.url).origin, target.token)
    const path = new URL(target.url).pathname
    const { samples, failed } = await openLoop(() => client.request('GET', path), ratePerSecond, seconds / 4)
    client.close()
    run.samples.push(...samples)
    run.failed += failed
  }
  return runs.map(({ samples, failed }) => {
    const summary = summarize(samples)
    return {
      ratePerSecond,
      n: summary.n,
      p50Ms: round(summary.p50, 3),
      p99Ms: round(summary.p99, 3),
      errors: failed,
    }
  })
}

export async function runApiThroughput(context: DialectContext): Promise<ApiThroughputResult> {
  const fixture = await context.large()
  const plan = context.plan.throughput
  const dir = mkdtempSync(join(tmpdir(), 'orgspace-bench-'))
  const copy = await context.store.copy(fixture.template)
  try {
    context.log(
      'GET /v1/organizations/:slug throughput: orgspace and a bare Fastify route with the same bytes',
    )
    const server = await startServer('orgspace', { DATABASE_URL: copy.url, PURGE_WORKER: 'on' })
    let bare: ServerProcess | undefined
    let bareQuery: ServerProcess | undefined
    try {
      const client = new HttpClient(server.baseUrl, fixture.ownerToken)
      const urls = { large: '', empty: '', bare: '', 'bare-query': '' }
      const bytes = { large: 0, empty: 0, bare: 0, 'bare-query': 0 }
      let largeBody = ''
      for (const target of ['large', 'empty'] as const) {
        const path = `/v1/organizations/${fixture[target].slug}`
        const { text } = await client.expectOk('GET', path)
        if (target === 'large') largeBody = text
        urls[target] = `${server.baseUrl}${path}`
        bytes[target] = Buffer.byteLength(text)
      }
      client.close()
      const bodyFile = join(dir, 'body.json')
      writeFileSync(bodyFile, largeBody)
      bare = await startServer('bare', { BENCH_BODY_FILE: bodyFile })
      urls.bare = `${bare.baseUrl}/v1/organizations/${fixture.large.slug}`
      bytes.bare = Buffer.byteLength(largeBody)
      bareQuery = await startServer('bare', { BENCH_BODY_FILE: bodyFile, BENCH_QUERY_URL: copy.url })
      urls['bare-query'] = `${bareQuery.baseUrl}/v1/organizations/${fixture.large.slug}`
      bytes['bare-query'] = bytes.bare
      const token = (target: Target) => (target.startsWith('bare') ? undefined : fixture.ownerToken)
      for (const target of TARGETS)
        await cannon(urls[target], token(target), plan.connections, plan.warmupSeconds)

      // A B C D D C B A in short runs: a server still warming up, or a machine getting busier or quieter, weighs on
      // all alike — the ratio to the bare route is taken from runs interleaved with it.
      const results = {
        large: [] as autocannon.Result[],
        empty: [] as autocannon.Result[],
        bare: [] as autocannon.Result[],
        'bare-query': [] as autocannon.Result[],
      }
      const runSeconds = plan.seconds / (2 * plan.rounds)
      for (let round = 0; round < plan.rounds; round++)
        for (const target of [...TARGETS, ...[...TARGETS].reverse()])
          results[target].push(await cannon(urls[target], token(target), plan.connections, runSeconds))

      context.log(
        `GET /v1/organizations/:slug latency at ${plan.latencyRate} req/s, open loop, orgspace and the bare routes`,
      )
      const [latency, bareLatency, bareQueryLatency] = await latenciesAt(
        [
          { url: urls.large, token: fixture.ownerToken },
          { url: urls.bare, token: undefined },
          { url: urls['bare-query'], token: undefined },
        ],
        plan.latencyRate,
        plan.latencySeconds * 2,
      )
      return {
        connections: plan.connections,
        seconds: plan.seconds,
        runs: TARGETS.map((target) => aggregate(target, results[target], bytes[target])),
        latency,
        bareLatency,
        bareQueryLatency,
      }
    } finally {
      await bareQuery?.stop()
      await bare?.stop()
      await server.stop()
    }
  } finally {
    await copy.drop()
    rmSync(dir, { recursive: true, force: true })
  }
}
