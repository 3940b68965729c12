import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { ExportRunner } from './runner.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Writes the archives of this process's exports in the background (runner.ts). */
    exportRunner: ExportRunner
  }
}

/** Runs exports in the background of the server that accepted them, and stops them (each cleaning up) at close. */
export const exportsPlugin = fp<{ config: Config }>(
  async (app, { config }) => {
    const runner = new ExportRunner(app.db, app.storage, config.EXPORT_TTL_SECONDS, app.log, app.clock)
    app.decorate('exportRunner', runner)
    app.addHook('preClose', async () => runner.close())
  },
  { name: 'exports', dependencies: ['database', 'storage'] },
)
