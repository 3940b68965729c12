import { sql } from 'kysely'
import type { FastifyPluginAsync } from 'fastify'
import type { Db } from '../db/connect.js'

/**
 * Liveness and readiness for orchestrators; outside /v1 and without auth. /readyz also shows the purge backlog
 * as the database sees it (deletions not completed, and the age of the oldest), so an operator can tell from
 * any server whether the purge workers, wherever they run, are keeping up.
 */
export interface HealthOptions {
  /** Deletions not completed, and when the oldest of them was requested. */
  purgeBacklog(db: Db): Promise<{ pending: number; oldestRequestedAt: string | null }>
  now(): number
}

export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, { purgeBacklog, now }) => {
  const hide = { hide: true }
  app.get('/healthz', { schema: hide }, async () => ({ status: 'ok' }))
  app.get('/readyz', { schema: hide }, async (_request, reply) => {
    try {
      await sql`select 1`.execute(app.db)
      const { pending, oldestRequestedAt } = await purgeBacklog(app.db)
      const oldestAgeSeconds = oldestRequestedAt
        ? Math.round((now() - Date.parse(oldestRequestedAt)) / 1000)
        : 0
      return { status: 'ok', database: app.dialect, purge: { backlog: pending, oldestAgeSeconds } }
    } catch (error) {
      app.log.warn({ err: error }, 'readiness check failed')
      return reply.status(503).send({ status: 'unavailable', database: app.dialect })
    }
  })
}
