import type { FastifyInstance } from 'fastify'
import { buildApp } from './app.js'
import { loadConfig } from './config.js'
import { checkSqliteWritable, listenError, reportStartupError } from './startup-error.js'

// Starts the HTTP server and shuts it down gracefully; everything else lives in buildApp().

/**
 * On SIGTERM/SIGINT: stop accepting connections, let requests in flight finish, then run the app's onClose
 * hooks (the purge worker stops between batches, the database closes) and exit 0. Requests still running after
 * `timeoutMs` have their connections closed and the process exits 1, so an orchestrator's kill never lands
 * mid-way through our own cleanup. A second signal exits at once.
 */
function handleShutdown(app: FastifyInstance, timeoutMs: number): void {
  let closing = false
  // Keep-alive connections would otherwise outlive their last request and hold the shutdown open until the
  // keep-alive timeout: answers given while closing ask the client to close, and idle sockets are swept.
  // Callback hooks, not async ones: they run at every answer and almost always do nothing.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close')
    done(null, payload)
  })
  app.addHook('onResponse', (_request, _reply, done) => {
    if (closing) setImmediate(() => app.server.closeIdleConnections())
    done()
  })
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) {
      app.log.warn({ signal }, 'second signal: exiting without waiting')
      process.exit(1)
    }
    closing = true
    app.log.info(
      { signal, timeoutMs },
      'shutting down: refusing new connections, finishing requests in flight',
    )
    const deadline = setTimeout(() => {
      app.log.error({ timeoutMs }, 'shutdown timed out: closing the connections still open')
      process.exitCode = 1
      app.server.closeAllConnections()
      // The cut requests' handlers may still hold the database; do not wait for them forever either.
      setTimeout(() => process.exit(1), 1_000).unref()
    }, timeoutMs)
    deadline.unref()
    app.close().then(
      () => {
        clearTimeout(deadline)
        app.log.info('shut down')
        process.exit(process.exitCode ?? 0)
      },
      (error: unknown) => {
        app.log.error({ err: error }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', shutdown)
  process.on('SIGINT', shutdown)
}

async function main(): Promise<void> {
  const config = loadConfig()
  checkSqliteWritable(config.DATABASE_URL)
  const app = await buildApp({ config })
  handleShutdown(app, config.SHUTDOWN_TIMEOUT_MS)
  await app.listen({ port: config.PORT, host: config.HOST }).catch((error: unknown) => {
    throw listenError(error, config.HOST, config.PORT)
  })
}

// A server that cannot start says why in one line (the cause and the variable to change) and exits 1; the
// database and the purge thread may be open, so the exit is not left to the event loop.
main().catch((error: unknown) => {
  reportStartupError(error)
  process.exit(1)
})
