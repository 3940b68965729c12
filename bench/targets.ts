import { int, mb, ms, percent, ratio } from './format.js'
import { shortCount } from './plan.js'
import type { DialectResults, TargetLine } from './results.js'
import { exportImportTargets } from './scenarios/export-import.js'

// The targets of the brief, each checked against this run's figures, saying by how much it was met or missed.

const LIMITS = {
  answerGrowth: 1.5,
  /** Issue 27: purge rows/s over one DELETE per table, per database. */
  purgeVsFloor: { sqlite: 0.8, postgres: 0.67 },
  /** Issue 27: purge of an organization seeded moments before (no ANALYZE) over the same after ANALYZE. */
  freshVsAnalyzed: 1.5,
  rssGrowthBytes: 100 * 1024 * 1024,
  readP99VsIdle: 2,
  writeP99OverIdleMs: 20,
  /** GET organization req/s against the bare route plus one round trip to the same database. */
  throughputVsBareQuery: 0.5,
  largeVsEmpty: 0.1,
  webhookWriteP99: 1.1,
  /** GET organization p99 at a steady 100 req/s against the bare route's, same client, same run. */
  getP99VsBare: 1.5,
  scaleVsSmall: 0.2,
  /** Scenario 7: builds purge objects/s vs removing the same objects directly (rm -r; S3 DeleteObjects). */
  storagePurgeVsDirect: 0.6,
  /** Scenario 7: builds upload MB/s on S3 vs the SDK's own `Upload` of the same bytes to the same server. */
  s3UploadVsSdk: 0.7,
} as const

const spare = (met: boolean, amount: string) => (met ? `${amount} to spare` : `missed by ${amount}`)

function deleteTargets(d: DialectResults): TargetLine[] {
  const rows = d.deleteLatency?.rows ?? []
  const smallest = rows[0]
  const largest = rows[rows.length - 1]
  const label = largest ? shortCount(largest.rows) : 'max'
  const target = `DELETE answer(${label}) / answer(0) ≤ ×${LIMITS.answerGrowth} (medians)`
  const baselineTarget = `baseline answer(${label}) / answer(0) grows (> ×${LIMITS.answerGrowth})`
  if (!smallest || !largest || smallest === largest)
    return [
      { id: '1', dialect: d.dialect, target, met: null, detail: d.errors['1'] ?? 'scenario not run' },
      { id: '1b', dialect: d.dialect, target: baselineTarget, met: null, detail: 'scenario not run' },
    ]
  const ours = largest.orgspace.p50 / smallest.orgspace.p50
  const theirs = largest.baseline.p50 / smallest.baseline.p50
  const oursMet = ours <= LIMITS.answerGrowth
  const theirsMet = theirs > LIMITS.answerGrowth
  return [
    {
      id: '1',
      dialect: d.dialect,
      target,
      met: oursMet,
      detail: `${ratio(ours)} (${ms(largest.orgspace.p50)} vs ${ms(smallest.orgspace.p50)}); ${spare(oursMet, ratio(Math.abs(LIMITS.answerGrowth - ours)))}`,
    },
    {
      id: '1b',
      dialect: d.dialect,
      target: baselineTarget,
      met: theirsMet,
      detail: `${ratio(theirs)} (${ms(largest.baseline.p50)} vs ${ms(smallest.baseline.p50)})`,
    },
  ]
}

function purgeTargets(d: DialectResults): TargetLine[] {
  const p = d.purge
  const floorLimit = LIMITS.purgeVsFloor[d.dialect]
  const throughputTarget = `purge rows/s ≥ ${percent(floorLimit)} of one DELETE per table`
  const freshTarget = `purge of an organization seeded moments before (no ANALYZE) ≤ ×${LIMITS.freshVsAnalyzed} the same after ANALYZE`
  const rssTarget = `server RSS growth during the purge ≤ ${mb(LIMITS.rssGrowthBytes)}`
  if (!p)
    return [
      {
        id: '2a',
        dialect: d.dialect,
        target: throughputTarget,
        met: null,
        detail: d.errors['2'] ?? 'scenario not run',
      },
      { id: '2b', dialect: d.dialect, target: rssTarget, met: null, detail: 'scenario not run' },
      ...(d.dialect === 'postgres'
        ? [{ id: '2c', dialect: d.dialect, target: freshTarget, met: null, detail: 'scenario not run' }]
        : []),
    ]
  const ratioMet = p.ratio >= floorLimit
  const fresh = p.fresh
  const freshMet = fresh ? fresh.ratio <= LIMITS.freshVsAnalyzed : null
  const growth = p.rss.growthBytes
  const rssMet = growth === null ? null : growth <= LIMITS.rssGrowthBytes
  return [
    {
      id: '2a',
      dialect: d.dialect,
      target: throughputTarget,
      met: ratioMet,
      detail: `${percent(p.ratio)} (${int(p.rowsPerSecond)} vs ${int(p.floor.rowsPerSecond)} rows/s); ${spare(ratioMet, `${Math.abs(Math.round((p.ratio - floorLimit) * 100))} points`)}`,
    },
    {
      id: '2b',
      dialect: d.dialect,
      target: rssTarget,
      met: rssMet,
      detail:
        growth === null
          ? 'RSS not readable on this platform'
          : `+${mb(growth)} (${mb(p.rss.beforeBytes)} → ${mb(p.rss.peakBytes)}); ${spare(rssMet === true, mb(Math.abs(LIMITS.rssGrowthBytes - growth)))}`,
    },
    ...(d.dialect === 'postgres'
      ? [
          {
            id: '2c',
            dialect: d.dialect,
            target: freshTarget,
            met: freshMet,
            detail: fresh
              ? `${ratio(fresh.ratio)} (${fresh.freshSeconds.toFixed(2)} s vs ${fresh.analyzedSeconds.toFixed(2)} s for ${int(fresh.rows)} rows; reltuples ${fresh.reltuplesAtDelete} at DELETE); ${spare(freshMet === true, ratio(Math.abs(LIMITS.freshVsAnalyzed - fresh.ratio)))}`
              : 'not measured',
          },
        ]
      : []),
  ]
}

function neighbourTargets(d: DialectResults): TargetLine[] {
  const phases = d.neighbours?.phases ?? []
  const idle = phases.find((p) => p.name === 'idle')
  const purge = phases.find((p) => p.name === 'purge')
  const cascade = phases.find((p) => p.name === 'cascade')
  const readTarget = `neighbours' read p99 during the purge ≤ ×${LIMITS.readP99VsIdle} idle`
  const writeTarget = `neighbours' write p99 during the purge ≤ idle + ${LIMITS.writeP99OverIdleMs} ms`
  if (!idle || !purge)
    return [
      {
        id: '3a',
        dialect: d.dialect,
        target: readTarget,
        met: null,
        detail: d.errors['3'] ?? 'scenario not run',
      },
      { id: '3b', dialect: d.dialect, target: writeTarget, met: null, detail: 'scenario not run' },
    ]
  if (purge.reads.n === 0 || purge.writes.n === 0 || idle.reads.n === 0 || idle.writes.n === 0) {
    const detail = 'too short a window: no neighbour request of each kind fell inside it'
    return [
      { id: '3a', dialect: d.dialect, target: readTarget, met: null, detail },
      { id: '3b', dialect: d.dialect, target: writeTarget, met: null, detail },
    ]
  }
  const readRatio = purge.reads.p99 / idle.reads.p99
  const readMet = readRatio <= LIMITS.readP99VsIdle
  const writeOver = purge.writes.p99 - idle.writes.p99
  const writeMet = writeOver <= LIMITS.writeP99OverIdleMs
  const baseline = (kind: 'reads' | 'writes') =>
    cascade ? `; baseline cascade ${ms(cascade[kind].p99)}` : ''
  return [
    {
      id: '3a',
      dialect: d.dialect,
      target: readTarget,
      met: readMet,
      detail: `${ms(purge.reads.p99)} vs idle ${ms(idle.reads.p99)} = ${ratio(readRatio)}; ${spare(readMet, ratio(Math.abs(LIMITS.readP99VsIdle - readRatio)))}${baseline('reads')}`,
    },
    {
      id: '3b',
      dialect: d.dialect,
      target: writeTarget,
      met: writeMet,
      detail: `${ms(purge.writes.p99)} vs idle ${ms(idle.writes.p99)} = ${writeOver >= 0 ? '+' : ''}${ms(writeOver)}; ${spare(writeMet, ms(Math.abs(LIMITS.writeP99OverIdleMs - writeOver)))}${baseline('writes')}`,
    },
  ]
}

/** The latency target: against the bare route driven by the same client at the same rate, taking turns with it. */
function latencyTarget(d: DialectResults): TargetLine[] {
  const { latency, bareLatency } = d.throughput ?? {}
  const target = `GET organization p99 at ${latency?.ratePerSecond ?? 100} req/s ≤ ×${LIMITS.getP99VsBare} the bare route's`
  if (!latency || !bareLatency)
    return [{ id: '4c', dialect: d.dialect, target, met: null, detail: d.errors['4'] ?? 'scenario not run' }]
  const value = latency.p99Ms / bareLatency.p99Ms
  const met = value <= LIMITS.getP99VsBare && latency.errors === 0
  return [
    {
      id: '4c',
      dialect: d.dialect,
      target,
      met,
      detail: `${ratio(value)} (${ms(latency.p99Ms)} vs ${ms(bareLatency.p99Ms)}; p50 ${ms(latency.p50Ms)} vs ${ms(bareLatency.p50Ms)}, ${int(latency.n)} requests each); ${spare(met, ratio(Math.abs(LIMITS.getP99VsBare - value)))}`,
    },
  ]
}

function throughputTargets(d: DialectResults): TargetLine[] {
  const runs = d.throughput?.runs ?? []
  const of = (target: string) => runs.find((r) => r.target === target)?.requestsPerSecond
  const large = of('large')
  const empty = of('empty')
  const bare = of('bare-query')
  const bareTarget = `GET organization req/s ≥ ${percent(LIMITS.throughputVsBareQuery)} of the bare route + one round trip to the database`
  const sameTarget = `GET organization req/s: large vs empty within ${percent(LIMITS.largeVsEmpty)}`
  if (large === undefined || empty === undefined || bare === undefined)
    return [
      {
        id: '4a',
        dialect: d.dialect,
        target: bareTarget,
        met: null,
        detail: d.errors['4'] ?? 'scenario not run',
      },
      { id: '4b', dialect: d.dialect, target: sameTarget, met: null, detail: 'scenario not run' },
    ]
  const worst = Math.min(large, empty) / bare
  const bareMet = worst >= LIMITS.throughputVsBareQuery
  const difference = Math.abs(large - empty) / Math.max(large, empty)
  const sameMet = difference <= LIMITS.largeVsEmpty
  return [
    ...latencyTarget(d),
    {
      id: '4a',
      dialect: d.dialect,
      target: bareTarget,
      met: bareMet,
      detail: `${percent(worst)} (${int(Math.min(large, empty))} vs ${int(bare)} req/s); ${spare(bareMet, `${Math.abs(Math.round((worst - LIMITS.throughputVsBareQuery) * 100))} points`)}`,
    },
    {
      id: '4b',
      dialect: d.dialect,
      target: sameTarget,
      met: sameMet,
      detail: `${percent(difference)} apart (${int(large)} vs ${int(empty)} req/s); ${spare(sameMet, `${Math.abs(Math.round((LIMITS.largeVsEmpty - difference) * 100))} points`)}`,
    },
  ]
}

function webhookTargets(d: DialectResults): TargetLine[] {
  const target = `write p99 with a webhook endpoint subscribed ≤ ×${LIMITS.webhookWriteP99} of none`
  const w = d.webhooks
  if (!w || w.writes.none.n === 0 || w.writes.subscribed.n === 0)
    return [{ id: '9', dialect: d.dialect, target, met: null, detail: d.errors['9'] ?? 'scenario not run' }]
  const { subscribed, none } = w.writes
  const value = subscribed.p99 / none.p99
  const met = value <= LIMITS.webhookWriteP99
  return [
    {
      id: '9',
      dialect: d.dialect,
      target,
      met,
      detail: `${ratio(value)} (${ms(subscribed.p99)} vs ${ms(none.p99)}); ${spare(met, ratio(Math.abs(LIMITS.webhookWriteP99 - value)))}; ${int(w.throughput.eventsPerSecond)} events/s delivered`,
    },
  ]
}

function scaleTargets(d: DialectResults): TargetLine[] {
  const runs = d.scale?.runs ?? []
  const small = runs.find((r) => r.database === 'small')
  const large = runs.find((r) => r.database === 'large')
  const target = `GET /v1/organizations req/s: ${large ? shortCount(large.organizations) : '100k'} organizations vs a small database within ${percent(LIMITS.scaleVsSmall)}`
  if (!small || !large)
    return [{ id: '11', dialect: d.dialect, target, met: null, detail: d.errors['11'] ?? 'scenario not run' }]
  const difference = Math.abs(large.requestsPerSecond - small.requestsPerSecond) / small.requestsPerSecond
  const met = difference <= LIMITS.scaleVsSmall && large.errors + small.errors === 0
  return [
    {
      id: '11',
      dialect: d.dialect,
      target,
      met,
      detail: `${percent(difference)} apart (${int(large.requestsPerSecond)} vs ${int(small.requestsPerSecond)} req/s); ${spare(met, `${Math.abs(Math.round((LIMITS.scaleVsSmall - difference) * 100))} points`)}`,
    },
  ]
}

function storageTargets(d: DialectResults): TargetLine[] {
  const purgeTarget = (backend: string) =>
    `builds purge objects/s (${backend}) ≥ ${percent(LIMITS.storagePurgeVsDirect)} of removing them directly`
  const uploadTarget = `builds upload MB/s on S3 ≥ ${percent(LIMITS.s3UploadVsSdk)} of the SDK's Upload alone`
  const backends = d.storage?.backends ?? []
  if (backends.length === 0)
    return [
      {
        id: '7a',
        dialect: d.dialect,
        target: purgeTarget('filesystem'),
        met: null,
        detail: d.errors['7'] ?? 'scenario not run',
      },
      { id: '7c', dialect: d.dialect, target: uploadTarget, met: null, detail: 'scenario not run' },
    ]
  const lines: TargetLine[] = backends.map((b) => {
    const met = b.purge.ratio >= LIMITS.storagePurgeVsDirect
    return {
      id: b.backend === 'file' ? '7a' : '7b',
      dialect: d.dialect,
      target: purgeTarget(b.backend === 'file' ? 'filesystem' : 'S3'),
      met,
      detail: `${percent(b.purge.ratio)} (${int(b.purge.objectsPerSecond)} vs ${int(b.purge.direct.objectsPerSecond)} objects/s); ${spare(met, `${Math.abs(Math.round((b.purge.ratio - LIMITS.storagePurgeVsDirect) * 100))} points`)}`,
    }
  })
  const s3 = backends.find((b) => b.backend === 's3')
  if (!s3)
    lines.push({
      id: '7c',
      dialect: d.dialect,
      target: uploadTarget,
      met: null,
      detail: d.storage?.skipped.s3 ?? 'S3 not run',
    })
  else {
    const met = s3.upload.ratio >= LIMITS.s3UploadVsSdk
    lines.push({
      id: '7c',
      dialect: d.dialect,
      target: uploadTarget,
      met,
      detail: `${percent(s3.upload.ratio)} (${s3.upload.mbPerSecond} vs ${s3.upload.floor.mbPerSecond} MB/s); ${spare(met, `${Math.abs(Math.round((s3.upload.ratio - LIMITS.s3UploadVsSdk) * 100))} points`)}`,
    })
  }
  return lines
}

export function evaluateTargets(dialects: readonly DialectResults[]): TargetLine[] {
  return dialects.flatMap((d) => [
    ...deleteTargets(d),
    ...purgeTargets(d),
    ...neighbourTargets(d),
    ...throughputTargets(d),
    ...webhookTargets(d),
    ...storageTargets(d),
    ...exportImportTargets(d),
    ...scaleTargets(d),
  ])
}
