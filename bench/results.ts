import type { Dialect } from '../src/db/connect.js'
import type { BenchPlan, Mode } from './plan.js'
import type { ApiThroughputResult } from './scenarios/api-throughput.js'
import type { DeleteLatencyResult } from './scenarios/delete-latency.js'
import type { ErasureResult } from './scenarios/erasure.js'
import type { ExportImportResult } from './scenarios/export-import.js'
import type { NeighbourLatencyResult } from './scenarios/neighbour-latency.js'
import type { PurgeThroughputResult } from './scenarios/purge-throughput.js'
import type { ScaleResult } from './scenarios/scale.js'
import type { SeedingRow } from './scenarios/seeding.js'
import type { StartupResult } from './scenarios/startup.js'
import type { StorageResult } from './scenarios/storage.js'
import type { WebhooksResult } from './scenarios/webhooks.js'

// The shape of bench/results/latest.json.

export interface Machine {
  cpus: number
  cpuModel: string
  memoryBytes: number
  node: string
  os: string
  /** 1-minute load average when the run started and ended: other work on the machine skews every figure. */
  loadAverage: { start: number; end: number }
}

export interface DialectResults {
  dialect: Dialect
  database: string
  deleteLatency?: DeleteLatencyResult
  purge?: PurgeThroughputResult
  neighbours?: NeighbourLatencyResult
  throughput?: ApiThroughputResult
  storage?: StorageResult
  webhooks?: WebhooksResult
  /** Scenario 8, SQLite only. */
  erasure?: ErasureResult
  /** Scenario 10: export and import against seed. */
  exportImport?: ExportImportResult
  scale?: ScaleResult
  seeding: SeedingRow[]
  /** Scenario number → why it did not finish. */
  errors: Record<string, string>
}

export interface TargetLine {
  id: string
  dialect: Dialect
  target: string
  /** null when the scenario did not produce the figure. */
  met: boolean | null
  detail: string
}

export interface BenchResults {
  mode: Mode
  startedAt: string
  finishedAt: string
  seconds: number
  machine: Machine
  plan: BenchPlan
  dialects: DialectResults[]
  targets: TargetLine[]
  /** Dialects that were not run, and why. */
  skipped: Record<string, string>
  /** Scenario 6, run once (on SQLite) rather than per database; absent when not asked for. */
  startup?: { result?: StartupResult; error?: string }
}
