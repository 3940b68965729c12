import fp from 'fastify-plugin'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'

// Prometheus metrics at GET /metrics. Each app has a Registry of its own (never prom-client's global one), so
// several apps in one process — the test suite builds many — never mix or collide. Another part of orgspace
// adds its metrics with one line, e.g.
//   new Gauge({ name: 'orgspace_purge_backlog', help: '…', registers: [app.metrics.registry], collect() {…} })
// and declares `dependencies: ['metrics']` on its plugin.

export interface Metrics {
  /** Where this app's metrics live; register new ones here. */
  registry: Registry
  /** Every route the app serves: the values the `route` label can take besides `unmatched`. */
  routes: ReadonlyArray<{ method: string; url: string }>
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics
  }
}

/**
 * Process-wide metrics (CPU, memory, event loop, GC) describe the process, not an app, and prom-client's
 * collectors for them install observers that are never removed: so they are collected once per process, in a
 * registry of their own, and appended to every app's scrape.
 */
let processRegistry: Registry | undefined
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry()
    collectDefaultMetrics({ register: processRegistry })
  }
  return processRegistry
}

/** Latency buckets in seconds: API answers are expected in milliseconds; the tail shows trouble. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

export const metricsPlugin = fp(
  async (app) => {
    const registry = new Registry()
    const routes: { method: string; url: string }[] = []
    app.decorate('metrics', { registry, routes })

    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method]
      for (const method of methods) routes.push({ method, url: route.url })
    })

    const labelNames = ['method', 'route', 'status_code'] as const
    const requests = new Counter({
      name: 'orgspace_http_requests_total',
      help: 'HTTP requests answered, by route pattern and status',
      labelNames,
      registers: [registry],
    })
    const latency = new Histogram({
      name: 'orgspace_http_request_duration_seconds',
      help: 'Time from receiving a request to finishing its answer, by route pattern and status',
      labelNames,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    })

    // A callback hook, not an async one: it runs after every answer, and has nothing to wait for.
    app.addHook('onResponse', (request, reply, done) => {
      // The pattern, never the raw URL: ids and slugs in paths would make every organization its own series.
      const labels = {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: String(reply.statusCode),
      }
      requests.inc(labels)
      latency.observe(labels, reply.elapsedTime / 1000)
      done()
    })

    const pool = app.database.pool
    if (pool) {
      new Gauge({
        name: 'orgspace_db_pool_connections',
        help: 'PostgreSQL pool connections: total open, idle, and requests waiting for one',
        labelNames: ['state'] as const,
        registers: [registry],
        collect() {
          this.set({ state: 'total' }, pool.totalCount)
          this.set({ state: 'idle' }, pool.idleCount)
          this.set({ state: 'waiting' }, pool.waitingCount)
        },
      })
    }

    app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
      const text = (await registry.metrics()) + (await processMetrics().metrics())
      return reply.type(registry.contentType).send(text)
    })
  },
  { name: 'metrics', dependencies: ['database'] },
)
