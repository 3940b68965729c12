import { readFileSync } from 'node:fs'
import Fastify from 'fastify'

// The ceiling for scenario 4: Fastify with nothing but one route that returns the bytes orgspace returned for
// the same URL (read from BENCH_BODY_FILE). Started like the service (node --import tsx, its own process), so
// the difference between the two is orgspace's own work: auth, lookup, serialization, hooks.

const body = readFileSync(process.env.BENCH_BODY_FILE ?? '', 'utf8')
const app = Fastify({ logger: false })
app.get('/healthz', async () => ({ status: 'ok' }))
app.get('/v1/organizations/:organizationId', async (_request, reply) =>
  reply.type('application/json; charset=utf-8').send(body),
)
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)))
await app.listen({ port: Number(process.env.PORT ?? 0), host: process.env.HOST ?? '127.0.0.1' })
