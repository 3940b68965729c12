import type { SeedMeasurement } from '../fixtures.js'

// Scenario 5 — `orgspace seed` rows/s. Its runs are the ones that build the other scenarios' databases: the first
// organization of every size is seeded through the real command and timed (the rest of a template's copies are
// seeded in-process, untimed).

export interface SeedingRow extends SeedMeasurement {
  /** Rows over the command's own seeding time. */
  rowsPerSecond: number | null
  /** Rows over the whole command, Node's start-up and the migration check included. */
  wallRowsPerSecond: number
}

export function seedingRows(measurements: readonly SeedMeasurement[]): SeedingRow[] {
  return measurements.map((m) => ({
    ...m,
    seconds: m.seconds === null ? null : Math.round(m.seconds * 1000) / 1000,
    wallSeconds: Math.round(m.wallSeconds * 1000) / 1000,
    rowsPerSecond: m.seconds ? Math.round(m.rows / m.seconds) : null,
    wallRowsPerSecond: Math.round(m.rows / m.wallSeconds),
  }))
}
