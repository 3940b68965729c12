import { createContext } from './context.js'
import type { BenchPlan } from './plan.js'
import type { DialectResults } from './results.js'
import { runApiThroughput } from './scenarios/api-throughput.js'
import { runDeleteLatency } from './scenarios/delete-latency.js'
import { runErasure } from './scenarios/erasure.js'
import { runExportImport } from './scenarios/export-import.js'
import { runNeighbourLatency } from './scenarios/neighbour-latency.js'
import { runPurgeThroughput } from './scenarios/purge-throughput.js'
import { runScale } from './scenarios/scale.js'
import { seedingRows } from './scenarios/seeding.js'
import { runStorage } from './scenarios/storage.js'
import { runWebhooks } from './scenarios/webhooks.js'
import type { Store } from './store.js'

/** The scenarios run on each database, by number (6, start-up, runs once: see run.ts). */
export const PER_DATABASE = [1, 2, 3, 4, 7, 8, 9, 10, 11] as const
export type ScenarioNumber = (typeof PER_DATABASE)[number]

/** Runs the scenarios on one database. A scenario that fails is recorded as such and the others still run. */
export async function runDialect(
  store: Store,
  plan: BenchPlan,
  log: (message: string) => void,
  only: ReadonlySet<ScenarioNumber> = new Set(PER_DATABASE),
): Promise<DialectResults> {
  const context = createContext(store, plan, log)
  const result: DialectResults = {
    dialect: store.dialect,
    database: await store.describe(),
    seeding: [],
    errors: {},
  }
  const attempt = async <T>(n: ScenarioNumber, run: () => Promise<T>): Promise<T | undefined> => {
    if (!only.has(n)) return undefined
    try {
      return await run()
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      log(`scenario ${n} failed: ${message}`)
      result.errors[String(n)] = message.split('\n')[0] ?? message
      return undefined
    }
  }
  result.deleteLatency = await attempt(1, () => runDeleteLatency(context))
  result.purge = await attempt(2, () => runPurgeThroughput(context))
  result.neighbours = await attempt(3, () => runNeighbourLatency(context))
  result.throughput = await attempt(4, () => runApiThroughput(context))
  result.storage = await attempt(7, () => runStorage(context))
  // Erasure at rest is about SQLite's files; PostgreSQL's side is documented (docs/erasure.md), not measured.
  if (store.dialect === 'sqlite') result.erasure = await attempt(8, () => runErasure(context))
  result.webhooks = await attempt(9, () => runWebhooks(context))
  result.exportImport = await attempt(10, () => runExportImport(context))
  result.scale = await attempt(11, () => runScale(context))
  result.seeding = seedingRows(context.seeding)
  return result
}
