import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../src/apps/service.js'
import { openDatabase, type DatabaseHandle } from '../src/db/connect.js'
import { migrateToLatest } from '../src/db/migrate.js'
import { createOrganization } from '../src/organizations/service.js'
import { authenticate, createToken } from '../src/tokens/service.js'
import { findOrCreateUser } from '../src/users/service.js'
import { systemResolver } from '../src/webhooks/address-policy.js'
import { createWebhook } from '../src/webhooks/service.js'
import { createTestDatabase, type TestDatabase } from './support/app.js'
import { kill, startServer, waitFor } from './support/processes.js'
import { startReceiver, type Receiver } from './support/receiver.js'

// A real server process, killed with SIGKILL while it delivers: the one started after it delivers everything.

const EVENTS = 500
const CONCURRENCY = 16

let testDb: TestDatabase
let database: DatabaseHandle
const receivers: Receiver[] = []
beforeAll(async () => {
  testDb = await createTestDatabase()
  database = openDatabase(testDb.url)
  await migrateToLatest(database.db)
})
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()))
  await database.close()
  await testDb.drop()
})

async function slowReceiver(): Promise<Receiver> {
  const receiver = await startReceiver()
  receiver.respond = () => new Promise((resolve) => setTimeout(() => resolve(200), 10))
  receivers.push(receiver)
  return receiver
}

/** The distinct app.created events a receiver got, by webhook-id. */
const appEvents = (r: Receiver) =>
  new Set(
    r.received.filter((x) => x.event.type === 'app.created').map((x) => String(x.headers['webhook-id'])),
  )

describe('undelivered events and a SIGKILL', () => {
  it('are all delivered after the server restarts, none lost', async () => {
    const orgHook = await slowReceiver()
    const instanceHook = await slowReceiver()
    const db = database.db
    const { user } = await findOrCreateUser(db, `crash-${randomBytes(4).toString('hex')}@example.test`)
    // A real token: services read the caller's membership through it, as for a request.
    const { token } = await createToken(db, user.id, { name: 'crash test' })
    const auth = await authenticate(db, `Bearer ${token}`)
    const org = await createOrganization(db, auth, { name: 'Crash' })
    const policy = { allowPrivate: true, resolve: systemResolver }
    const endpoint = await createWebhook(db, policy, auth, org.id, {
      url: orgHook.url,
      events: ['app.created'],
    })
    // Written while no server runs: 500 changes, 500 events waiting in the outbox.
    for (let i = 0; i < EVENTS; i++) await createApp(db, auth, org.id, { name: `App ${i}` })

    const env = {
      DATABASE_URL: testDb.url,
      WEBHOOK_URL: instanceHook.url,
      WEBHOOK_SECRET: `whsec_${randomBytes(32).toString('base64')}`,
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_CONCURRENCY: String(CONCURRENCY),
      WEBHOOK_TIMEOUT_MS: '1000',
      EVENT_POLL_MS: '50',
    }
    const first = await startServer(env)
    await waitFor(() => orgHook.received.length + instanceHook.received.length >= 100, 60_000, first.output)
    await kill(first, 'SIGKILL')

    const delivered = appEvents(orgHook).size + appEvents(instanceHook).size
    expect(delivered).toBeLessThan(2 * EVENTS)
    const second = await startServer(env)
    try {
      // Until every event has arrived at both, and nothing is left waiting: what the killed server had claimed
      // comes back once its claims run out.
      const waiting = async () => {
        const [events, endpoint, instance] = await Promise.all([
          db.selectFrom('events').select('id').execute(),
          db.selectFrom('webhook_deliveries').select('id').where('status', '!=', 'delivered').execute(),
          db.selectFrom('instance_deliveries').select('id').execute(),
        ])
        return events.length + endpoint.length + instance.length
      }
      await waitFor(
        async () =>
          appEvents(orgHook).size === EVENTS &&
          appEvents(instanceHook).size === EVENTS &&
          (await waiting()) === 0,
        90_000,
        () =>
          `${appEvents(orgHook).size} + ${appEvents(instanceHook).size} of ${EVENTS} each\n${second.output()}`,
      )
      orgHook.verified(endpoint.secret)
      instanceHook.verified(env.WEBHOOK_SECRET)
      const created = instanceHook.received.filter((r) => r.event.type === 'organization.created')
      expect(new Set(created.map((r) => r.headers['webhook-id'])).size).toBe(1)
      // At least once: what the killed server had in flight may have arrived twice, nothing more.
      const sent = [orgHook, instanceHook].flatMap((r) =>
        r.received.filter((x) => x.event.type === 'app.created'),
      )
      expect(sent.length - 2 * EVENTS).toBeLessThanOrEqual(2 * CONCURRENCY)
    } finally {
      await kill(second, 'SIGTERM')
    }
  }, 180_000)
})
