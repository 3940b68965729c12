import fp from 'fastify-plugin'
import type { DatabaseHandle, Db, Dialect } from './connect.js'
import { migrateToLatest } from './migrate.js'

declare module 'fastify' {
  interface FastifyInstance {
    db: Db
    dialect: Dialect
    database: DatabaseHandle
  }
}

/** Makes the database available as `app.db`, migrated, and closes it with the app. */
export const databasePlugin = fp<{ database: DatabaseHandle; closeWithApp: boolean }>(
  async (app, { database, closeWithApp }) => {
    await migrateToLatest(database.db)
    app.decorate('db', database.db)
    app.decorate('dialect', database.dialect)
    app.decorate('database', database)
    database.pool?.on('error', (error) => app.log.warn({ err: error }, 'database connection lost'))
    if (closeWithApp) app.addHook('onClose', async () => database.close())
  },
  { name: 'database' },
)
