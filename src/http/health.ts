import { sql } from 'kysely'
import type { FastifyPluginAsync } from 'fastify'

/** Liveness and readiness for orchestrators; outside /v1 and without auth. */
export const healthRoutes: FastifyPluginAsync = async (app) => {
  const hide = { hide: true }
  app.get('/healthz', { schema: hide }, async () => ({ status: 'ok' }))
  app.get('/readyz', { schema: hide }, async (_request, reply) => {
    try {
      await sql`select 1`.execute(app.db)
      return { status: 'ok', database: app.dialect }
    } catch (error) {
      app.log.warn({ err: error }, 'readiness check failed')
      return reply.status(503).send({ status: 'unavailable', database: app.dialect })
    }
  })
}
