import { readFileSync } from 'node:fs'
import Database from 'better-sqlite3'
import Fastify from 'fastify'
import pg from 'pg'
import { sqlitePath } from '../../src/db/connect.js'

// The ceilings for scenario 4: Fastify with nothing but one route that returns the bytes orgspace returned for
// the same URL (read from BENCH_BODY_FILE). Started like the service (its own process), so the difference between
// the two is orgspace's own work: auth, lookup, serialization, hooks. With BENCH_QUERY_URL (the database orgspace
// reads), the route first runs `select 1` there — one round trip through the same driver, which is the least any
// route that reads the database pays: on PostgreSQL a message to another process and back.

const body = readFileSync(process.env.BENCH_BODY_FILE ?? '', 'utf8')
const queryUrl = process.env.BENCH_QUERY_URL ?? ''
const query = await connect(queryUrl)

async function connect(url: string): Promise<(() => Promise<unknown>) | null> {
  if (url === '') return null
  if (url.startsWith('sqlite:')) {
    const statement = new Database(sqlitePath(url), { readonly: true }).prepare('select 1')
    return async () => statement.get()
  }
  // As orgspace's pool: ten connections.
  const pool = new pg.Pool({ connectionString: url, max: 10 })
  return () => pool.query('select 1')
}

const app = Fastify({ logger: false })
app.get('/healthz', async () => ({ status: 'ok' }))
app.get('/v1/organizations/:organizationId', async (_request, reply) => {
  if (query) await query()
  return reply.type('application/json; charset=utf-8').send(body)
})
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)))
await app.listen({ port: Number(process.env.PORT ?? 0), host: process.env.HOST ?? '127.0.0.1' })
