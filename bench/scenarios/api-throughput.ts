import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import type { DialectContext } from '../context.js'
import { HttpClient } from '../http.js'
import { startServer } from '../server-process.js'
import { round } from '../stats.js'

// Scenario 4 — requests/s of GET /v1/organizations/:slug for the large organization and for an empty one,
// against a bare Fastify route that returns the same bytes. Both run as child processes started the same way;
// autocannon (closed loop, `connections` at a time) drives them from this process.

export interface ThroughputRun {
  target: 'large' | 'empty' | 'bare'
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
}

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

export async function runApiThroughput(context: DialectContext): Promise<ApiThroughputResult> {
  const fixture = await context.large()
  const plan = context.plan.throughput
  const runs: ThroughputRun[] = []
  const dir = mkdtempSync(join(tmpdir(), 'orgspace-bench-'))
  const copy = await context.store.copy(fixture.template)
  try {
    context.log('GET /v1/organizations/:slug throughput: orgspace')
    const server = await startServer('orgspace', { DATABASE_URL: copy.url, PURGE_WORKER: 'on' })
    let largeBody = ''
    try {
      const client = new HttpClient(server.baseUrl, fixture.ownerToken)
      const urls = { large: '', empty: '' }
      const bytes = { large: 0, empty: 0 }
      for (const target of ['large', 'empty'] as const) {
        const path = `/v1/organizations/${fixture[target].slug}`
        const { text } = await client.expectOk('GET', path)
        if (target === 'large') largeBody = text
        urls[target] = `${server.baseUrl}${path}`
        bytes[target] = Buffer.byteLength(text)
        await cannon(urls[target], fixture.ownerToken, plan.connections, plan.warmupSeconds)
      }
      client.close()
      // A B B A in short runs: a server still warming up, or a machine getting busier, weighs on both alike.
      const results = { large: [] as autocannon.Result[], empty: [] as autocannon.Result[] }
      const runSeconds = plan.seconds / (2 * plan.rounds)
      for (let round = 0; round < plan.rounds; round++)
        for (const target of ['large', 'empty', 'empty', 'large'] as const)
          results[target].push(await cannon(urls[target], fixture.ownerToken, plan.connections, runSeconds))
      runs.push(
        aggregate('large', results.large, bytes.large),
        aggregate('empty', results.empty, bytes.empty),
      )
    } finally {
      await server.stop()
    }

    context.log('GET /v1/organizations/:slug throughput: bare Fastify route, same bytes')
    const bodyFile = join(dir, 'body.json')
    writeFileSync(bodyFile, largeBody)
    const bare = await startServer('bare', { BENCH_BODY_FILE: bodyFile })
    try {
      const url = `${bare.baseUrl}/v1/organizations/${fixture.large.slug}`
      await cannon(url, undefined, plan.connections, plan.warmupSeconds)
      const result = await cannon(url, undefined, plan.connections, plan.seconds)
      runs.push(aggregate('bare', [result], Buffer.byteLength(largeBody)))
    } finally {
      await bare.stop()
    }
  } finally {
    await copy.drop()
    rmSync(dir, { recursive: true, force: true })
  }
  return { connections: plan.connections, seconds: plan.seconds, runs }
}
