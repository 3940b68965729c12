import { performance } from 'node:perf_hooks'
import { cascadeDelete, deleteOrganization, waitForReceipt, warmUp } from '../api.js'
import type { DialectContext, LargeFixture } from '../context.js'
import { HttpClient } from '../http.js'
import { perSecond, startLoad, statsOf, type KindStats, type SecondPoint } from '../load.js'
import { startServer } from '../server-process.js'
import { round, sleep } from '../stats.js'

// Scenario 3 — what other tenants feel. A steady load on the neighbour organizations runs three times, each on
// a fresh copy and server: with no deletion, while orgspace purges the large organization, and while the
// baseline deletes it inside one request. Latency is reported over the deletion's window (from the DELETE
// being sent to the purge completing / the cascade answering) and per second for the chart.

export type PhaseName = 'idle' | 'purge' | 'cascade'

export interface Phase {
  name: PhaseName
  server: 'orgspace' | 'baseline'
  /** The window the stats cover, in ms since the recorded part of the load began. */
  windowMs: [number, number]
  /** When the DELETE was sent and when the deletion was over (null for idle). */
  deleteAtMs: number | null
  doneAtMs: number | null
  reads: KindStats
  writes: KindStats
  series: SecondPoint[]
}

export interface NeighbourLatencyResult {
  ratePerSecond: number
  phases: Phase[]
}

// The receipt is polled gently here: the polling is extra load on the server that the baseline does not get.
const RECEIPT_POLL_MS = 200

async function runPhase(context: DialectContext, fixture: LargeFixture, name: PhaseName): Promise<Phase> {
  const { load } = context.plan
  const kind = name === 'cascade' ? 'baseline' : 'orgspace'
  const copy = await context.store.copy(fixture.template)
  const server = await startServer(kind, {
    DATABASE_URL: copy.url,
    PURGE_WORKER: kind === 'orgspace' ? 'on' : 'off',
  }).catch(async (error: unknown) => {
    await copy.drop()
    throw error
  })
  const owner = new HttpClient(server.baseUrl, fixture.ownerToken)
  const neighbours = new HttpClient(server.baseUrl, fixture.neighbourToken)
  try {
    // Every phase starts from the same state, warm-up deletion included.
    await warmUp(owner, { readRef: fixture.large.slug, server: kind })
    const slugs = fixture.neighbours.map((org) => org.slug)
    await context.store.settle()
    const running = startLoad(neighbours, slugs, load.ratePerSecond)
    await sleep(load.warmupMs)
    const recordFrom = performance.now() - running.startedAt
    const since = () => performance.now() - running.startedAt - recordFrom
    let deleteAtMs: number | null = null
    let doneAtMs: number | null = null
    if (name === 'idle') await sleep(load.idleMs)
    else {
      await sleep(load.leadMs)
      deleteAtMs = since()
      if (name === 'purge') {
        const { deletionId } = await deleteOrganization(owner, fixture.large.slug)
        const { seenAt } = await waitForReceipt(owner, deletionId, {
          everyMs: RECEIPT_POLL_MS,
          timeoutMs: load.maxWaitMs,
        })
        doneAtMs = seenAt - running.startedAt - recordFrom
      } else {
        await cascadeDelete(owner, fixture.large.slug)
        doneAtMs = since()
      }
      await sleep(load.tailMs)
    }
    const endMs = since()
    const samples = (await running.stop())
      .map((s) => ({ ...s, at: s.at - recordFrom }))
      .filter((s) => s.at >= 0 && s.at < endMs)
    const windowMs: [number, number] =
      deleteAtMs !== null && doneAtMs !== null ? [deleteAtMs, doneAtMs] : [0, endMs]
    const inWindow = samples.filter((s) => s.at >= windowMs[0] && s.at <= windowMs[1])
    return {
      name,
      server: kind,
      windowMs: [round(windowMs[0], 1), round(windowMs[1], 1)],
      deleteAtMs: deleteAtMs === null ? null : round(deleteAtMs, 1),
      doneAtMs: doneAtMs === null ? null : round(doneAtMs, 1),
      reads: statsOf(inWindow, 'read'),
      writes: statsOf(inWindow, 'write'),
      series: perSecond(samples, 0, endMs),
    }
  } finally {
    owner.close()
    neighbours.close()
    await server.stop()
    await copy.drop()
  }
}

export async function runNeighbourLatency(context: DialectContext): Promise<NeighbourLatencyResult> {
  const fixture = await context.large()
  const phases: Phase[] = []
  for (const name of ['idle', 'purge', 'cascade'] as const) {
    context.log(`neighbour load (${context.plan.load.ratePerSecond} req/s): ${name}`)
    phases.push(await runPhase(context, fixture, name))
  }
  return { ratePerSecond: context.plan.load.ratePerSecond, phases }
}
