// How big and how long each scenario runs. `full` is what BENCHMARKS.md reports; `quick` proves the harness end
// to end in under three minutes on a small machine; `smoke` is for the test suite (seconds, not figures).

export type Mode = 'full' | 'quick' | 'smoke'

export interface BenchPlan {
  mode: Mode
  deletes: {
    /** Organization sizes in rows (devices + audit events). */
    sizes: number[]
    /** DELETEs measured per size and per server. */
    samples: number
    /**
     * Sizes whose organizations fit together in this many rows share one database (one copy per server, deleted
     * one after another); each larger size gets a fresh copy per DELETE (reseeding 20 × 1M rows would take longer
     * than copying a file 20 times).
     */
    sharedRowBudget: number
  }
  /** The organization of scenarios 2–4. */
  large: { devices: number; audit: number }
  /** Other tenants of the same database, the ones the load of scenario 3 talks to. */
  neighbours: { orgs: number; apps: number; devices: number; collaborators: number }
  load: {
    ratePerSecond: number
    /** Load before anything is recorded (connections open, JIT warm). */
    warmupMs: number
    idleMs: number
    /** Recorded load before the DELETE, and after the deletion has finished. */
    leadMs: number
    tailMs: number
    /** Give up waiting for a purge or a cascade after this long. */
    maxWaitMs: number
  }
  /** Scenario 11: organizations in the large and the small database, and memberships per organization. */
  scale: { orgs: number; smallOrgs: number; members: number }
  /**
   * Seconds per target. orgspace's two targets alternate A B B A, `rounds` times, in runs of seconds / (2 × rounds):
   * the more often they alternate, the less a server still warming up or a machine getting busier favours either.
   */
  throughput: {
    connections: number
    seconds: number
    warmupSeconds: number
    rounds: number
    /** The open-loop latency run that follows: requests/s and seconds. */
    latencyRate: number
    latencySeconds: number
  }
  /** Rounds of scenario 6 (each starts the server and runs each command once). */
  startupSamples: number
  /** Scenario 7: one upload of `uploadBytes` (median of `uploadRuns`), and the purge of `builds` builds. */
  storage: { uploadBytes: number; uploadRuns: number; builds: number }
  /** Scenario 9: writes per second and seconds per phase (A B B A, `rounds` times), events in the outbox. */
  webhooks: { ratePerSecond: number; phaseSeconds: number; rounds: number; events: number }
}

const NEIGHBOURS = { orgs: 8, apps: 20, devices: 200, collaborators: 5 }

export const PLANS: Record<Mode, BenchPlan> = {
  full: {
    mode: 'full',
    deletes: { sizes: [0, 10_000, 100_000, 1_000_000], samples: 20, sharedRowBudget: 2_500_000 },
    large: { devices: 1_000_000, audit: 100_000 },
    neighbours: NEIGHBOURS,
    scale: { orgs: 100_000, smallOrgs: 100, members: 10 },
    load: {
      ratePerSecond: 100,
      warmupMs: 2_000,
      idleMs: 20_000,
      leadMs: 5_000,
      tailMs: 5_000,
      maxWaitMs: 900_000,
    },
    throughput: {
      connections: 10,
      seconds: 10,
      warmupSeconds: 2,
      rounds: 5,
      latencyRate: 100,
      latencySeconds: 20,
    },
    startupSamples: 10,
    storage: { uploadBytes: 256 * 1024 * 1024, uploadRuns: 3, builds: 10_000 },
    webhooks: { ratePerSecond: 50, phaseSeconds: 10, rounds: 2, events: 5_000 },
  },
  quick: {
    mode: 'quick',
    deletes: { sizes: [0, 10_000, 100_000], samples: 3, sharedRowBudget: 400_000 },
    large: { devices: 100_000, audit: 10_000 },
    neighbours: NEIGHBOURS,
    scale: { orgs: 10_000, smallOrgs: 100, members: 10 },
    load: {
      ratePerSecond: 100,
      warmupMs: 1_000,
      idleMs: 3_000,
      leadMs: 1_000,
      tailMs: 1_000,
      maxWaitMs: 120_000,
    },
    throughput: {
      connections: 10,
      seconds: 3,
      warmupSeconds: 1.5,
      rounds: 3,
      latencyRate: 100,
      latencySeconds: 5,
    },
    startupSamples: 3,
    storage: { uploadBytes: 64 * 1024 * 1024, uploadRuns: 3, builds: 2_000 },
    webhooks: { ratePerSecond: 50, phaseSeconds: 3, rounds: 1, events: 1_000 },
  },
  smoke: {
    mode: 'smoke',
    // A budget below 200 rows sends the 200-row size down the copy-per-DELETE path, so both paths run.
    deletes: { sizes: [0, 200], samples: 1, sharedRowBudget: 100 },
    large: { devices: 180, audit: 20 },
    neighbours: { orgs: 2, apps: 2, devices: 5, collaborators: 1 },
    scale: { orgs: 40, smallOrgs: 12, members: 10 },
    load: { ratePerSecond: 40, warmupMs: 100, idleMs: 400, leadMs: 200, tailMs: 200, maxWaitMs: 20_000 },
    throughput: {
      connections: 2,
      seconds: 0.4,
      warmupSeconds: 0.1,
      rounds: 1,
      latencyRate: 20,
      latencySeconds: 0.5,
    },
    startupSamples: 1,
    storage: { uploadBytes: 1024 * 1024, uploadRuns: 1, builds: 50 },
    webhooks: { ratePerSecond: 20, phaseSeconds: 0.4, rounds: 1, events: 50 },
  },
}

const units = [
  [1_000_000, 'M'],
  [1_000, 'k'],
] as const

/** 1000000 → "1M", 110000 → "110k", 200 → "200". */
export function shortCount(n: number): string {
  for (const [size, unit] of units) if (n >= size && n % (size / 10) === 0) return `${n / size}${unit}`
  return String(n)
}
