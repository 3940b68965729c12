import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { performance } from 'node:perf_hooks'
import { openDatabase } from '../../src/db/connect.js'
import { newId } from '../../src/db/ids.js'
import { emitEvent } from '../../src/outbox/emit.js'
import type { DialectContext } from '../context.js'
import { createOwnerToken, seedInProcess, type OrgRef } from '../fixtures.js'
import { HttpClient } from '../http.js'
import { statsOf, type KindStats, type LoadSample } from '../load.js'
import { REPO_ROOT, startServer } from '../server-process.js'
import { round, sleep } from '../stats.js'

// Scenario 9 — what webhooks cost. (a) Writes (POST …/apps, open loop) into an organization with one endpoint
// subscribed to every event, against writes into one without, alternating A B B A on one server: the write
// path is the same (one outbox insert either way); the difference is the delivery worker's work beside it.
// (b) Events delivered per second to a local receiver: events already in the outbox when the server starts,
// timed from the first delivery received to the last.

export interface WebhooksResult {
  ratePerSecond: number
  phaseSeconds: number
  rounds: number
  writes: { subscribed: KindStats; none: KindStats }
  /** Deliveries the receiver got for the subscribed organization's writes, and how many were expected. */
  delivered: { received: number; expected: number }
  throughput: { events: number; seconds: number; eventsPerSecond: number; concurrency: number }
}

const OWNER = 'webhooks@bench.test'
const CONCURRENCY = 16

interface ReceiverStats {
  received: number
  firstAt: number | null
  lastAt: number | null
}

/** Starts bench/webhook-receiver.ts in a child process and talks to it over HTTP. */
async function startReceiver() {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/webhook-receiver.ts'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const port = await new Promise<number>((resolve, reject) => {
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const match = /listening (\d+)/.exec(output)
      if (match) resolve(Number(match[1]))
    })
    child.once('exit', (code) => reject(new Error(`the webhook receiver exited (${code})`)))
  })
  const base = `http://127.0.0.1:${port}`
  let latest: ReceiverStats = { received: 0, firstAt: null, lastAt: null }
  return {
    url: `${base}/hook`,
    async stats(): Promise<ReceiverStats> {
      latest = (await (await fetch(`${base}/stats`)).json()) as ReceiverStats
      return latest
    },
    async reset() {
      await fetch(`${base}/reset`, { method: 'POST' })
    },
    async close() {
      child.kill('SIGTERM')
      await once(child, 'exit')
    },
  }
}

/** POSTs apps into `slug` at a fixed rate for `ms`; latencies count from when each request was due. */
async function writeLoad(client: HttpClient, slug: string, rate: number, ms: number): Promise<LoadSample[]> {
  const samples: LoadSample[] = []
  const pending: Promise<void>[] = []
  const start = performance.now()
  for (let n = 0; n * (1000 / rate) < ms; n++) {
    const due = start + n * (1000 / rate)
    const wait = due - performance.now()
    if (wait > 0) await sleep(wait)
    pending.push(
      client.request('POST', `/v1/organizations/${slug}/apps`, { name: `Hooked ${n}` }).then(
        (r) =>
          void samples.push({
            at: due - start,
            kind: 'write',
            ms: performance.now() - due,
            status: r.status,
          }),
        () => void samples.push({ at: due - start, kind: 'write', ms: performance.now() - due, status: 0 }),
      ),
    )
  }
  await Promise.all(pending)
  return samples
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

export async function runWebhooks(context: DialectContext): Promise<WebhooksResult> {
  const plan = context.plan.webhooks
  const url = await context.store.create('t_webhooks')
  const token = await createOwnerToken(url, OWNER)
  const [hooked, plain] = await seedInProcess(url, OWNER, [
    { slug: 'hooked', devices: 0, audit: 0 },
    { slug: 'plain', devices: 0, audit: 0 },
  ])
  if (!hooked || !plain) throw new Error('fixture organizations missing')
  await context.store.seal('t_webhooks')
  const copy = await context.store.copy('t_webhooks')
  const receiver = await startReceiver()
  const env = {
    DATABASE_URL: copy.url,
    WEBHOOK_ALLOW_PRIVATE: 'true',
    WEBHOOK_CONCURRENCY: String(CONCURRENCY),
    PURGE_WORKER: 'on',
  }
  try {
    context.log('webhooks: write latency, subscribed vs none')
    const writes = { subscribed: [] as LoadSample[], none: [] as LoadSample[] }
    let expected = 0
    const server = await startServer('orgspace', env)
    try {
      const client = new HttpClient(server.baseUrl, token)
      await client.expectOk('POST', `/v1/organizations/${hooked.slug}/webhooks`, {
        url: receiver.url,
        events: ['*'],
      })
      // Warm-up, one phase long: the receiver must get what it wrote into the subscribed organization.
      for (const org of [hooked, plain]) {
        const warm = await writeLoad(client, org.slug, plan.ratePerSecond, plan.phaseSeconds * 1000)
        if (org === hooked) expected = warm.filter((s) => s.status === 200).length
      }
      await until(async () => (await receiver.stats()).received >= expected, 60_000, 'the warm-up deliveries')
      for (let round = 0; round < plan.rounds; round++)
        for (const [target, org] of [
          ['subscribed', hooked],
          ['none', plain],
          ['none', plain],
          ['subscribed', hooked],
        ] as Array<['subscribed' | 'none', OrgRef]>) {
          // Each phase starts with the deliveries of the ones before it done, so none inherits their work.
          await until(
            async () => (await receiver.stats()).received >= expected,
            60_000,
            'deliveries to catch up',
          )
          await context.store.settle()
          const samples = await writeLoad(client, org.slug, plan.ratePerSecond, plan.phaseSeconds * 1000)
          writes[target].push(...samples)
          if (target === 'subscribed') expected += samples.filter((s) => s.status === 200).length
        }
      await until(async () => (await receiver.stats()).received >= expected, 60_000, 'the last deliveries')
      client.close()
    } finally {
      await server.stop()
    }
    const delivered = { received: (await receiver.stats()).received, expected }

    context.log(`webhooks: delivering ${plan.events} events from the outbox`)
    const handle = openDatabase(copy.url, { poolSize: 2 })
    try {
      for (let i = 0; i < plan.events; i += 100)
        await handle.db.transaction().execute(async (trx) => {
          for (let j = i; j < Math.min(i + 100, plan.events); j++)
            await emitEvent(trx, {
              type: 'app.created',
              organization: { id: hooked.id, slug: hooked.slug, name: hooked.slug },
              actor: null,
              data: { app: { id: newId(), name: `Outbox ${j}` } },
            })
        })
    } finally {
      await handle.close()
    }
    await receiver.reset()
    const again = await startServer('orgspace', env)
    try {
      await until(
        async () => (await receiver.stats()).received >= plan.events,
        context.plan.load.maxWaitMs,
        'the outbox to drain',
      )
    } finally {
      await again.stop()
    }
    const { firstAt, lastAt } = await receiver.stats()
    const seconds = firstAt === null || lastAt === null ? 0 : (lastAt - firstAt) / 1000
    return {
      ratePerSecond: plan.ratePerSecond,
      phaseSeconds: plan.phaseSeconds,
      rounds: plan.rounds,
      writes: { subscribed: statsOf(writes.subscribed, 'write'), none: statsOf(writes.none, 'write') },
      delivered,
      throughput: {
        events: plan.events,
        seconds: round(seconds, 3),
        eventsPerSecond: Math.round((plan.events - 1) / Math.max(seconds, 0.001)),
        concurrency: CONCURRENCY,
      },
    }
  } finally {
    await receiver.close()
    await copy.drop()
  }
}
