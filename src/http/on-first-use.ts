import { SerializerSelector } from '@fastify/fast-json-stringify-compiler'
import type { FastifyServerOptions } from 'fastify'

type Compilers = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>

/**
 * Route schemas compiled when a route is first used rather than when the app starts. Fastify compiles every
 * route's validators (AJV) and response serializers (fast-json-stringify, one per status code) while it gets
 * ready: with this API's routes and their documented error responses that was most of the start-up's CPU time
 * (a profile of `npm start`: about 0.9 s in ajv and 0.7 s in fast-json-stringify of 2.4 s), spent on routes a
 * process may never serve — a worker, a CLI command, a test that calls three routes. Compiled on its first
 * request instead, a route pays a few milliseconds once.
 *
 * A schema that cannot compile would now fail on its first request, not at start: `compileAll()` compiles
 * everything still pending, and the OpenAPI lint (`npm run lint:api`, run in CI) and a test call it.
 */
export class OnFirstUse {
  private readonly pending = new Set<() => unknown>()

  /** `compile`, deferred: the returned getter compiles once, on its first call. */
  defer<F>(compile: () => F): () => F {
    let compiled: F | undefined
    const get = () => {
      if (compiled === undefined) {
        compiled = compile()
        this.pending.delete(get)
      }
      return compiled
    }
    this.pending.add(get)
    return get
  }

  /** Compiles every schema not used yet; throws what the first failing one throws. */
  compileAll(): number {
    const all = [...this.pending]
    for (const get of all) get()
    return all.length
  }

  /**
   * Fastify's `compilersFactory` with its default response serializer (fast-json-stringify, with the schemas
   * added by `addSchema`), deferred.
   */
  serializers(): Compilers {
    const build = SerializerSelector()
    return {
      buildSerializer: (externalSchemas, options) => {
        const compiler = build(externalSchemas, options)
        return (route) => {
          const serializer = this.defer(() => compiler(route))
          return (data: unknown) => serializer()(data)
        }
      },
    }
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Compiles every route schema not used yet (OnFirstUse.compileAll); after `ready()`. */
    compileSchemas(): number
  }
}
