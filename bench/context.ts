import type { Dialect } from '../src/db/connect.js'
import { WARM_UP_SLUGS } from './api.js'
import {
  createOwnerToken,
  seedInProcess,
  seedWithCli,
  type OrgRef,
  type SeedMeasurement,
} from './fixtures.js'
import { shortCount, type BenchPlan } from './plan.js'
import type { Store } from './store.js'

export const OWNER = 'owner@bench.test'
export const NEIGHBOUR = 'neighbour@bench.test'

/** The database of scenarios 2–4: one large organization among ordinary ones. */
export interface LargeFixture {
  template: string
  ownerToken: string
  large: OrgRef
  /** An organization with nothing in it, for scenario 4's comparison. */
  empty: OrgRef
  neighbourToken: string
  neighbours: OrgRef[]
}

export interface DialectContext {
  dialect: Dialect
  store: Store
  plan: BenchPlan
  /** Every timed `orgspace seed` run (scenario 5 reports them). */
  seeding: SeedMeasurement[]
  log(message: string): void
  large(): Promise<LargeFixture>
}

export function createContext(store: Store, plan: BenchPlan, log: (message: string) => void): DialectContext {
  let large: Promise<LargeFixture> | undefined
  const context: DialectContext = {
    dialect: store.dialect,
    store,
    plan,
    seeding: [],
    log,
    large: () => (large ??= buildLargeFixture(context)),
  }
  return context
}

async function buildLargeFixture(context: DialectContext): Promise<LargeFixture> {
  const { store, plan } = context
  const template = 't_large'
  const { devices, audit } = plan.large
  context.log(`seeding the large organization (${shortCount(devices)} devices + ${shortCount(audit)} audit)`)
  const url = await store.create(template)
  const ownerToken = await createOwnerToken(url, OWNER)
  const neighbourToken = await createOwnerToken(url, NEIGHBOUR)
  const { org: large, measurement } = await seedWithCli(
    url,
    OWNER,
    { slug: 'large', devices, audit },
    `${shortCount(devices)} devices + ${shortCount(audit)} audit`,
  )
  context.seeding.push(measurement)
  const [empty] = await seedInProcess(url, OWNER, [
    { slug: 'empty', devices: 0, audit: 0 },
    ...WARM_UP_SLUGS.map((slug) => ({ slug, devices: 0, audit: 0 })),
  ])
  const { orgs, ...each } = plan.neighbours
  const neighbours = await seedInProcess(
    url,
    NEIGHBOUR,
    Array.from({ length: orgs }, (_, i) => ({ slug: `neighbour-${i + 1}`, audit: 0, ...each })),
  )
  await store.seal(template)
  if (!empty) throw new Error('fixture organizations missing')
  return { template, ownerToken, large, empty, neighbourToken, neighbours }
}
