import { performance } from 'node:perf_hooks'
import type { HttpClient } from './http.js'
import { sleep, summarize, round } from './stats.js'

// A steady, open-loop load: requests leave on a fixed schedule whatever the server does, and each latency is
// counted from when its request was *due*. A closed loop (autocannon's) sends nothing while the server
// stalls, so a stall would show up as a handful of slow samples instead of all the requests it delayed.

export type RequestKind = 'read' | 'write'

export interface LoadSample {
  /** When the request was due, in ms since the load started. */
  at: number
  kind: RequestKind
  ms: number
  status: number
}

export interface RunningLoad {
  /** performance.now() at the load's start; `at` of every sample counts from here. */
  startedAt: number
  stop(): Promise<LoadSample[]>
}

/**
 * The mix a workspace dashboard produces: of every 20 requests, 9 read an organization, 8 list its apps and
 * 3 create an app — spread round-robin over `slugs`.
 */
export function startLoad(client: HttpClient, slugs: readonly string[], ratePerSecond: number): RunningLoad {
  const startedAt = performance.now()
  const interval = 1000 / ratePerSecond
  const samples: LoadSample[] = []
  const inFlight = new Set<Promise<void>>()
  let next = 0
  let stopped = false
  let timer: NodeJS.Timeout | undefined

  const fire = (n: number, due: number) => {
    const slug = slugs[n % slugs.length] ?? ''
    const slot = n % 20
    const kind: RequestKind = slot >= 17 ? 'write' : 'read'
    const sent =
      slot < 9
        ? client.request('GET', `/v1/organizations/${slug}`)
        : slot < 17
          ? client.request('GET', `/v1/organizations/${slug}/apps?limit=20`)
          : client.request('POST', `/v1/organizations/${slug}/apps`, { name: `Load ${n}` })
    const done = sent.then(
      (result) => {
        samples.push({ at: due - startedAt, kind, ms: performance.now() - due, status: result.status })
      },
      () => {
        samples.push({ at: due - startedAt, kind, ms: performance.now() - due, status: 0 })
      },
    )
    inFlight.add(done)
    void done.finally(() => inFlight.delete(done))
  }

  const tick = () => {
    if (stopped) return
    const now = performance.now()
    // Catch up on every request that fell due while this process was busy: they still count from their due time.
    while (startedAt + next * interval <= now) {
      fire(next, startedAt + next * interval)
      next++
    }
    timer = setTimeout(tick, Math.max(0, startedAt + next * interval - performance.now()))
  }
  tick()

  return {
    startedAt,
    async stop() {
      stopped = true
      clearTimeout(timer)
      await Promise.all([...inFlight])
      return samples.sort((a, b) => a.at - b.at)
    },
  }
}

export interface KindStats {
  n: number
  p50: number
  p99: number
  max: number
  errors: number
}

export function statsOf(samples: readonly LoadSample[], kind: RequestKind): KindStats {
  const of = samples.filter((s) => s.kind === kind)
  const summary = summarize(of.map((s) => s.ms))
  return {
    n: summary.n,
    p50: round(summary.p50, 2),
    p99: round(summary.p99, 2),
    max: round(summary.max, 2),
    errors: of.filter((s) => s.status < 200 || s.status >= 300).length,
  }
}

export interface SecondPoint {
  /** Seconds since the recorded window of the phase began. */
  second: number
  readP50: number | null
  readP99: number | null
  writeP99: number | null
  requests: number
}

/** Per-second latency, by when requests were due: a stall shows in the seconds whose requests it held. */
export function perSecond(samples: readonly LoadSample[], fromMs: number, toMs: number): SecondPoint[] {
  const points: SecondPoint[] = []
  for (let start = fromMs; start < toMs; start += 1000) {
    const inSecond = samples.filter((s) => s.at >= start && s.at < start + 1000)
    const reads = inSecond.filter((s) => s.kind === 'read').map((s) => s.ms)
    const writes = inSecond.filter((s) => s.kind === 'write').map((s) => s.ms)
    const read = summarize(reads)
    points.push({
      second: round((start - fromMs) / 1000, 3),
      readP50: reads.length ? round(read.p50, 2) : null,
      readP99: reads.length ? round(read.p99, 2) : null,
      writeP99: writes.length ? round(summarize(writes).p99, 2) : null,
      requests: inSecond.length,
    })
  }
  return points
}

/**
 * Sends `send()` at a steady `ratePerSecond` for `seconds`, open loop: the latencies, each counted from when its
 * request was due, and how many did not answer 200.
 */
export async function openLoop(
  send: () => Promise<{ status: number }>,
  ratePerSecond: number,
  seconds: number,
): Promise<{ samples: number[]; failed: number }> {
  const samples: number[] = []
  let failed = 0
  const started = performance.now()
  const sent: Promise<void>[] = []
  for (let n = 0; n < ratePerSecond * seconds; n++) {
    const due = started + (n * 1000) / ratePerSecond
    const wait = due - performance.now()
    if (wait > 0) await sleep(wait)
    sent.push(
      send().then(
        (result) => {
          samples.push(performance.now() - due)
          if (result.status !== 200) failed++
        },
        () => {
          samples.push(performance.now() - due)
          failed++
        },
      ),
    )
  }
  await Promise.all(sent)
  return { samples, failed }
}
