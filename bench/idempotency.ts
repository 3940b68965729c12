import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase } from '../src/db/connect.js'
import { createToken } from '../src/tokens/service.js'
import { findOrCreateUser } from '../src/users/service.js'
import { envelopeData, HttpClient } from './http.js'
import { startServer } from './server-process.js'
import { openLoop } from './load.js'
import { round, summarize } from './stats.js'
import { postgresStore, sqliteStore, type Store } from './store.js'

// The cost of an Idempotency-Key (docs/api.md §14): the same write — POST …/devices, a new device each time — with a
// new key and without one, at a steady rate, open loop (each latency counts from when the request was due), in
// alternating blocks (A B B A …) so a machine getting busier or quieter weighs on both alike. Target: p50 and p99
// with a key at most 1.2 × without.
//
//   npm run build:server && node --import tsx bench/idempotency.ts sqlite|postgres [seconds per block] [blocks] [rate]

type Variant = 'key' | 'none'

function block(
  client: HttpClient,
  path: string,
  variant: Variant,
  rate: number,
  seconds: number,
  next: () => number,
) {
  return openLoop(
    () =>
      client.request(
        'POST',
        path,
        { platform: 'android', serialNumber: `SN-${next()}` },
        variant === 'key' ? { 'idempotency-key': randomUUID() } : {},
      ),
    rate,
    seconds,
  )
}

async function main(): Promise<void> {
  const dialect = process.argv[2] === 'postgres' ? 'postgres' : 'sqlite'
  const seconds = Number(process.argv[3] ?? 10)
  const blocks = Number(process.argv[4] ?? 6)
  const rate = Number(process.argv[5] ?? 50)
  const dir = mkdtempSync(join(tmpdir(), 'orgspace-bench-idem-'))
  const store: Store = dialect === 'postgres' ? await postgresStore() : sqliteStore(dir)
  try {
    const url = await store.create('idempotency')
    const handle = openDatabase(url, { poolSize: 1 })
    const { user } = await findOrCreateUser(handle.db, 'bench@example.test', 'bench')
    const { token } = await createToken(handle.db, user.id, { name: 'bench' })
    await handle.close()
    const server = await startServer('orgspace', {
      DATABASE_URL: url,
      PURGE_WORKER: 'on',
      STORAGE_URL: `file:${join(dir, 'storage')}`,
    })
    try {
      const client = new HttpClient(server.baseUrl, token)
      const org = envelopeData(
        await client.expectOk('POST', '/v1/organizations', { name: 'Idempotency bench' }),
      )
      const path = `/v1/organizations/${String(org.id)}/devices`
      let serial = 0
      const next = () => ++serial
      // Warm-up: JIT, statement caches and the pool, both ways.
      for (const variant of ['none', 'key'] as const) await block(client, path, variant, rate, 3, next)
      const results: Record<Variant, { samples: number[]; failed: number }> = {
        key: { samples: [], failed: 0 },
        none: { samples: [], failed: 0 },
      }
      for (let b = 0; b < blocks; b++) {
        const variant: Variant = b % 4 === 0 || b % 4 === 3 ? 'none' : 'key'
        const { samples, failed } = await block(client, path, variant, rate, seconds, next)
        results[variant].samples.push(...samples)
        results[variant].failed += failed
      }
      client.close()
      const key = summarize(results.key.samples)
      const none = summarize(results.none.samples)
      console.log(
        JSON.stringify(
          {
            dialect,
            database: await store.describe(),
            ratePerSecond: rate,
            secondsPerBlock: seconds,
            blocks,
            withKey: {
              n: key.n,
              p50Ms: round(key.p50, 3),
              p99Ms: round(key.p99, 3),
              failed: results.key.failed,
            },
            withoutKey: {
              n: none.n,
              p50Ms: round(none.p50, 3),
              p99Ms: round(none.p99, 3),
              failed: results.none.failed,
            },
            ratio: { p50: round(key.p50 / none.p50, 3), p99: round(key.p99 / none.p99, 3) },
          },
          null,
          2,
        ),
      )
    } finally {
      await server.stop()
    }
  } finally {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
