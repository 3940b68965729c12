import fp from 'fastify-plugin'
import type pg from 'pg'

/**
 * A pooled PostgreSQL client whose connection dies while checked out but between queries (the server
 * restarted, an operator ran pg_terminate_backend, the network dropped) emits 'error'. The pool listens only
 * to idle clients, so unheard that event would crash the whole process. Listening is enough: the request
 * using that client still fails (its next query finds the client not queryable and answers 503), and the pool
 * discards the client when it is released.
 */
export function guardPool(pool: pg.Pool, onError: (error: unknown) => void): void {
  // On check-out rather than on connect: the pool may already hold clients (migrations ran before this).
  const guarded = new WeakSet<pg.PoolClient>()
  pool.on('acquire', (client) => {
    if (guarded.has(client)) return
    guarded.add(client)
    client.on('error', onError)
  })
}

export const poolGuardPlugin = fp(
  async (app) => {
    const pool = app.database.pool
    if (pool) guardPool(pool, (error) => app.log.warn({ err: error }, 'database connection lost'))
  },
  { name: 'pool-guard', dependencies: ['database'] },
)
