import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { PLANS } from '../bench/plan.js'
import { renderMarkdown } from '../bench/report.js'
import type { BenchResults, DialectResults } from '../bench/results.js'
import { createContext } from '../bench/context.js'
import { runApiThroughput } from '../bench/scenarios/api-throughput.js'
import { runDeleteLatency } from '../bench/scenarios/delete-latency.js'
import { runErasure, SECURE_DELETE_MODES } from '../bench/scenarios/erasure.js'
import { runExportImport } from '../bench/scenarios/export-import.js'
import { runNeighbourLatency } from '../bench/scenarios/neighbour-latency.js'
import { runPurgeThroughput } from '../bench/scenarios/purge-throughput.js'
import { runScale } from '../bench/scenarios/scale.js'
import { seedingRows } from '../bench/scenarios/seeding.js'
import { runWebhooks } from '../bench/scenarios/webhooks.js'
import { sqliteStore } from '../bench/store.js'
import { renderNeighbourSvg } from '../bench/svg.js'
import { evaluateTargets } from '../bench/targets.js'

// The benchmark harness end to end with tiny sizes on SQLite: real child servers, real seeding command, real
// load — only to check that every scenario runs and returns well-formed results. No figure is asserted: timing
// assertions would fail on a busy machine without anything being wrong.

const store = sqliteStore(mkdtempSync(join(tmpdir(), 'orgspace-bench-smoke-')))
afterAll(() => store.close())
// The benchmark runs the compiled service: here, this test run's build of the current source.
process.env.ORGSPACE_BUILD = inject('serverBuild')

const finite = (n: unknown) => typeof n === 'number' && Number.isFinite(n)

describe('bench harness (smoke)', () => {
  let result: DialectResults
  const context = createContext(store, PLANS.smoke, () => undefined)

  // The timeouts are generous: on a machine busy with other work, starting a dozen child servers alone takes
  // minutes. They bound a harness that hangs; no figure is judged by them.
  it('runs every scenario on tiny sizes', { timeout: 300_000 }, async () => {
    // Three lanes at once: most of the time goes into starting child servers, not into measuring anything
    // (the figures of lanes running side by side mean nothing, and nothing here asserts them).
    const [deleteLatency, [neighbours, webhooks], [purge, throughput]] = await Promise.all([
      runDeleteLatency(context),
      (async () => [await runNeighbourLatency(context), await runWebhooks(context)] as const)(),
      (async () => [await runPurgeThroughput(context), await runApiThroughput(context)] as const)(),
    ])
    result = {
      dialect: 'sqlite',
      database: await store.describe(),
      deleteLatency,
      purge,
      neighbours,
      throughput,
      webhooks,
      seeding: seedingRows(context.seeding),
      errors: {},
    }
  })

  it('measures DELETE for every size on both servers', () => {
    const rows = result.deleteLatency?.rows ?? []
    expect(rows.map((r) => r.rows)).toEqual(PLANS.smoke.deletes.sizes)
    for (const row of rows)
      for (const series of [row.orgspace, row.baseline]) {
        expect(series.n).toBe(PLANS.smoke.deletes.samples)
        expect(finite(series.p50) && finite(series.p99)).toBe(true)
      }
  })

  it('purges the large organization and measures the floor on the same rows', () => {
    const purge = result.purge
    const { devices, audit } = PLANS.smoke.large
    expect(purge?.counts.devices).toBe(devices)
    expect(purge?.floor.tables.find((t) => t.table === 'devices')?.rows).toBe(devices)
    expect(purge?.counts.auditEvents).toBeGreaterThanOrEqual(audit)
    expect(finite(purge?.rowsPerSecond) && finite(purge?.floor.rowsPerSecond)).toBe(true)
    expect(purge?.rss.peakBytes ?? 0).toBeGreaterThan(0)
  })

  it('records neighbour latency in three phases, with a per-second series', () => {
    const phases = result.neighbours?.phases ?? []
    expect(phases.map((p) => p.name)).toEqual(['idle', 'purge', 'cascade'])
    for (const phase of phases) {
      expect(phase.reads.errors + phase.writes.errors).toBe(0)
      expect(phase.series.reduce((sum, s) => sum + s.requests, 0)).toBeGreaterThan(0)
    }
    expect(phases[0]?.reads.n).toBeGreaterThan(0)
    // A tiny organization is gone within milliseconds, so its window may hold no request: only its bounds are checked.
    for (const phase of phases.slice(1))
      expect(phase.doneAtMs ?? -1).toBeGreaterThanOrEqual(phase.deleteAtMs ?? 0)
  })

  it('measures throughput of the large and empty organization and the bare routes', () => {
    const runs = result.throughput?.runs ?? []
    expect(runs.map((r) => r.target)).toEqual(['large', 'empty', 'bare', 'bare-query'])
    for (const run of runs) {
      expect(run.requestsPerSecond).toBeGreaterThan(0)
      expect(run.non2xx + run.errors).toBe(0)
    }
    // orgspace's and the bare route's, the same number of requests each.
    for (const latency of [result.throughput?.latency, result.throughput?.bareLatency]) {
      expect(latency?.n).toBe(PLANS.smoke.throughput.latencyRate * PLANS.smoke.throughput.latencySeconds)
      expect(latency?.errors).toBe(0)
      expect(finite(latency?.p99Ms)).toBe(true)
    }
  })

  it('lists the caller’s organizations in a small and a larger database', { timeout: 180_000 }, async () => {
    // On its own: it seeds two databases of its own and starts two servers, which the first test has no time left for.
    const scale = await runScale(context)
    if (result) result.scale = scale
    const runs = scale.runs
    const { orgs, smallOrgs, members } = PLANS.smoke.scale
    expect(runs.map((r) => [r.database, r.organizations, r.memberships])).toEqual([
      ['small', smallOrgs, smallOrgs * members],
      ['large', orgs, orgs * members],
    ])
    for (const run of runs) expect(run.requestsPerSecond > 0 && run.errors === 0).toBe(true)
  })

  it(
    'purges once per secure_delete mode and weighs the files at each step',
    { timeout: 60_000 },
    async () => {
      // After the others: it reuses their large organization's template, and needs no child server.
      const erasure = await runErasure(context)
      if (result) result.erasure = erasure
      const runs = erasure.runs
      expect(runs.map((r) => r.secureDelete)).toEqual([
        ...SECURE_DELETE_MODES,
        ...[...SECURE_DELETE_MODES].reverse(),
      ])
      for (const mode of SECURE_DELETE_MODES) expect(erasure.rowsPerSecond[mode]).toBeGreaterThan(0)
      expect(erasure.smallPurge.rows).toBeGreaterThan(0)
      expect(erasure.smallPurge.afterStop.walBytes).toBe(0)
      const { devices, audit } = PLANS.smoke.large
      for (const run of runs) {
        expect(run.rows).toBeGreaterThanOrEqual(devices + audit)
        expect(finite(run.rowsPerSecond) && finite(run.stopSeconds)).toBe(true)
        // The clean stop leaves no WAL, and the rewritten file is smaller than the one the purge started from.
        expect(run.afterStop.walBytes).toBe(0)
        expect(run.afterStop.dbBytes).toBeLessThan(run.before.dbBytes)
      }
    },
  )

  it('writes with and without a subscribed endpoint, and delivers the outbox to a receiver', () => {
    const w = result.webhooks
    for (const target of ['subscribed', 'none'] as const) {
      expect(w?.writes[target].n).toBeGreaterThan(0)
      expect(w?.writes[target].errors).toBe(0)
    }
    expect(w?.delivered.received).toBe(w?.delivered.expected)
    expect(w?.throughput.events).toBe(PLANS.smoke.webhooks.events)
    expect(finite(w?.throughput.eventsPerSecond)).toBe(true)
  })

  it(
    'exports and imports an organization with the real commands, beside seed of the same size',
    { timeout: 120_000 },
    async () => {
      // On its own, like scale: six short commands, each a process to start, which the first test has no time for.
      const r = await runExportImport(context)
      if (result) result.exportImport = r
      const { devices, audit } = PLANS.smoke.large
      expect(r.seed.rows).toBe(devices + audit)
      // The archive also holds what creating the organization wrote (its owner, its first audit event).
      expect(r.export.rows).toBeGreaterThan(devices + audit)
      expect(r.import.rows).toBe(r.export.rows)
      expect(r.archiveBytes).toBeGreaterThan(0)
      for (const figures of [r.seed, r.export, r.import]) {
        expect(finite(figures.rowsPerSecond)).toBe(true)
        expect(figures.peakRssBytes ?? 0).toBeGreaterThan(0)
        expect(figures.empty.peakRssBytes ?? 0).toBeGreaterThan(0)
        expect(finite(figures.growthBytes)).toBe(true)
      }
    },
  )

  it('times the seeding command', () => {
    expect(result.seeding.length).toBeGreaterThan(0)
    for (const row of result.seeding) expect(row.rows > 0 && finite(row.wallRowsPerSecond)).toBe(true)
  })

  it('renders the targets, the markdown and the chart', () => {
    const targets = evaluateTargets([result])
    expect(targets.length).toBe(16)
    // Scenario 7 (storage) is not run here: its lines say so, with no verdict.
    const storage = targets.filter((t) => t.id.startsWith('7'))
    expect(storage.map((t) => [t.id, t.met])).toEqual([
      ['7a', null],
      ['7c', null],
    ])
    expect(
      targets.filter((t) => !t.id.startsWith('3') && !t.id.startsWith('7')).every((t) => t.met !== null),
    ).toBe(true)
    const report: BenchResults = {
      mode: 'smoke',
      startedAt: new Date().toISOString(),
      finishedAt: new Date().toISOString(),
      seconds: 1,
      machine: {
        cpus: 1,
        cpuModel: 'test',
        memoryBytes: 1,
        node: process.version,
        os: 'test',
        loadAverage: { start: 0, end: 0 },
      },
      plan: PLANS.smoke,
      dialects: [result],
      targets,
      skipped: {},
    }
    expect(renderMarkdown(report)).toContain('## Targets')
    const svg = renderNeighbourSvg([result])
    expect(svg).toMatch(/^<svg[\s\S]*(<polyline|<circle)[\s\S]*<\/svg>\n$/)
  })
})
