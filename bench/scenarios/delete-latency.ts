import { cascadeDelete, deleteOrganization, waitForReceipt, warmUp, WARM_UP_SLUGS } from '../api.js'
import { OWNER, type DialectContext } from '../context.js'
import {
  createOwnerToken,
  seedInProcess,
  seedWithCli,
  splitRows,
  type OrgRef,
  type OrgSpec,
} from '../fixtures.js'
import { HttpClient } from '../http.js'
import { shortCount } from '../plan.js'
import { startServer, type ServerProcess } from '../server-process.js'
import { round, shuffled, summarize, type Summary } from '../stats.js'

// Scenario 1 — how long DELETE takes to answer, against the organization's size, for orgspace and for the
// in-request cascade. Each DELETE needs a live organization of that size, so every sample deletes an
// organization of its own (see plan.ts for how the copies are laid out).

export interface LatencySeries extends Summary {
  samplesMs: number[]
}

export interface DeleteLatencyRow {
  rows: number
  orgspace: LatencySeries
  baseline: LatencySeries
}

export interface DeleteLatencyResult {
  samplesPerSize: number
  /** Which sizes shared one database and which got a fresh copy per DELETE. */
  sharedSizes: number[]
  copiedSizes: number[]
  rows: DeleteLatencyRow[]
}

interface Template {
  name: string
  token: string
  /** Organizations to delete, by size: round i deletes the i-th of every size. */
  orgs: Map<number, OrgRef[]>
}

type Measurements = Map<number, { orgspace: number[]; baseline: number[] }>

const slugFor = (rows: number, i: number) => `del-${rows}-${i}`

async function buildTemplate(
  context: DialectContext,
  name: string,
  sizes: number[],
  perSize: number,
): Promise<Template> {
  const url = await context.store.create(name)
  const token = await createOwnerToken(url, OWNER)
  await seedInProcess(
    url,
    OWNER,
    WARM_UP_SLUGS.map((slug) => ({ slug, devices: 0, audit: 0 })),
  )
  const orgs = new Map<number, OrgRef[]>()
  for (const rows of sizes) {
    const spec = (i: number): OrgSpec => ({ slug: slugFor(rows, i), ...splitRows(rows) })
    const refs: OrgRef[] = []
    // The first of each size goes through the real command and is timed for scenario 5.
    if (rows > 0) {
      context.log(`seeding ${perSize} organization(s) of ${shortCount(rows)} rows`)
      const { org, measurement } = await seedWithCli(url, OWNER, spec(0), `${shortCount(rows)} rows`)
      context.seeding.push(measurement)
      refs.push(org)
    }
    refs.push(
      ...(await seedInProcess(
        url,
        OWNER,
        Array.from({ length: perSize - refs.length }, (_, i) => spec(refs.length + i)),
      )),
    )
    orgs.set(rows, refs)
  }
  await context.store.seal(name)
  return { name, token, orgs }
}

/** A fresh copy of the template behind a fresh server of the given kind, warmed up. */
async function serve(context: DialectContext, template: Template, kind: 'orgspace' | 'baseline') {
  const copy = await context.store.copy(template.name)
  let server: ServerProcess | undefined
  try {
    server = await startServer(kind, {
      DATABASE_URL: copy.url,
      PURGE_WORKER: kind === 'orgspace' ? 'on' : 'off',
    })
    const client = new HttpClient(server.baseUrl, template.token)
    const first = [...template.orgs.values()].flat()[0]
    await warmUp(client, { readRef: first?.slug ?? WARM_UP_SLUGS[0], server: kind })
    const running = server
    return {
      client,
      async close() {
        client.close()
        await running.stop()
        await copy.drop()
      },
    }
  } catch (error) {
    await server?.stop()
    await copy.drop()
    throw error
  }
}

/**
 * One measured DELETE. The machine is settled first (see Store.settle), so no sample pays for the writeback of
 * an earlier copy, cascade or purge. On orgspace the purge is then let finish when asked, so the next sample
 * does not share the machine with it either (the purge's own cost is scenario 2's and 3's subject).
 */
async function measureDelete(
  context: DialectContext,
  kind: 'orgspace' | 'baseline',
  client: HttpClient,
  org: OrgRef,
  waitForPurge: boolean,
): Promise<number> {
  await context.store.settle()
  if (kind === 'baseline') return cascadeDelete(client, org.slug)
  const { deletionId, ms } = await deleteOrganization(client, org.slug)
  if (waitForPurge) await waitForReceipt(client, deletionId)
  return ms
}

export async function runDeleteLatency(context: DialectContext): Promise<DeleteLatencyResult> {
  const { sizes, samples, sharedRowBudget } = context.plan.deletes
  const sharedSizes: number[] = []
  const copiedSizes: number[] = []
  let budget = sharedRowBudget
  for (const rows of [...sizes].sort((a, b) => a - b)) {
    if (rows * samples <= budget) {
      sharedSizes.push(rows)
      budget -= rows * samples
    } else copiedSizes.push(rows)
  }
  const measured: Measurements = new Map(sizes.map((rows) => [rows, { orgspace: [], baseline: [] }]))
  const record = (rows: number, kind: 'orgspace' | 'baseline', ms: number) =>
    measured.get(rows)?.[kind].push(ms)

  if (sharedSizes.length > 0) {
    const template = await buildTemplate(context, 't_del_shared', sharedSizes, samples)
    context.log(`deleting ${samples} × [${sharedSizes.map(shortCount).join(', ')}] on two servers`)
    const ours = await serve(context, template, 'orgspace')
    const theirs = await serve(context, template, 'baseline').catch(async (error: unknown) => {
      await ours.close()
      throw error
    })
    try {
      // Interleaved, each round in its own shuffled order: whatever else the machine does falls on every size and
      // both servers alike, and no size always comes right after the same other one.
      for (let i = 0; i < samples; i++)
        for (const rows of shuffled(sharedSizes, i + 1)) {
          const org = template.orgs.get(rows)?.[i]
          if (!org) throw new Error(`no organization ${slugFor(rows, i)}`)
          record(rows, 'orgspace', await measureDelete(context, 'orgspace', ours.client, org, true))
          record(rows, 'baseline', await measureDelete(context, 'baseline', theirs.client, org, false))
        }
    } finally {
      await ours.close()
      await theirs.close()
    }
  }

  for (const rows of copiedSizes) {
    const template = await buildTemplate(context, `t_del_${rows}`, [rows], 1)
    const org = template.orgs.get(rows)?.[0]
    if (!org) throw new Error(`no organization of ${rows} rows`)
    context.log(`deleting ${samples} × ${shortCount(rows)}, a fresh copy and server per DELETE`)
    for (let i = 0; i < samples; i++) {
      for (const kind of ['orgspace', 'baseline'] as const) {
        const server = await serve(context, template, kind)
        try {
          record(rows, kind, await measureDelete(context, kind, server.client, org, false))
        } finally {
          await server.close()
        }
      }
    }
  }

  const series = (values: number[]): LatencySeries => {
    const { n, p50, p99, max, mean } = summarize(values)
    return {
      n,
      p50: round(p50, 3),
      p99: round(p99, 3),
      max: round(max, 3),
      mean: round(mean, 3),
      samplesMs: values.map((v) => round(v, 3)),
    }
  }
  return {
    samplesPerSize: samples,
    sharedSizes,
    copiedSizes,
    rows: sizes.map((rows) => {
      const m = measured.get(rows) ?? { orgspace: [], baseline: [] }
      return { rows, orgspace: series(m.orgspace), baseline: series(m.baseline) }
    }),
  }
}
