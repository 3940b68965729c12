import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Config } from './config.js'
import { openDatabase, type DatabaseHandle } from './db/connect.js'
import { databasePlugin } from './db/plugin.js'
import { authPlugin } from './http/auth.js'
import { installErrorHandling } from './http/error-handler.js'
import { invalidUtf8, refuseUnusableInput } from './http/input.js'
import { OnFirstUse } from './http/on-first-use.js'
import { validatorCompiler } from './http/validation.js'
import { collaboratorRoutes } from './collaborators/routes.js'
import { appRoutes } from './apps/routes.js'
import { deviceRoutes } from './devices/routes.js'
import { subscriptionRoutes } from './subscriptions/routes.js'
import { auditRoutes } from './audit/routes.js'
import { organizationRoutes } from './organizations/routes.js'
import { userRoutes } from './users/routes.js'
import { TokenCache } from './tokens/cache.js'
import { authenticate } from './tokens/service.js'
import { systemClock, type Clock } from './core/clock.js'
import { deletionRoutes } from './deletion/routes.js'
import { backlog } from './deletion/repository.js'
import { purgeWorkerPlugin } from './deletion/plugin.js'
import { proofPlugin, replayBeforeRequests } from './deletion/proof-plugin.js'
import { certificateRoutes, jwksRoutes } from './deletion/certificate-routes.js'
import { eventsPlugin } from './events/plugin.js'
import type { Resolver } from './webhooks/address-policy.js'
import { webhookRoutes } from './webhooks/routes.js'
import { healthRoutes } from './http/health.js'
import { dashboardRoutes } from './http/dashboard.js'
import { metricsPlugin } from './http/metrics.js'
import { rateLimitPlugin } from './http/rate-limit.js'
import { securityPlugin, serverOptions } from './http/security.js'
import { openApiPlugin } from './http/openapi.js'
import { docsRoutes } from './http/docs.js'
import { storagePlugin } from './storage/plugin.js'
import { keyringPlugin } from './encryption/plugin.js'
import { sealStorage } from './encryption/open.js'
import { type ObjectStorage } from './storage/storage.js'
import { openStorage, storageSettings } from './storage/open.js'
import { buildRoutes } from './builds/routes.js'
import { appTokenRoutes } from './app-tokens/routes.js'
import { integrationRoutes } from './integrations/routes.js'
import { honourIdempotencyKeys } from './http/idempotency.js'
import { idempotencyStore } from './idempotency/service.js'
import { exportRoutes } from './exports/routes.js'
import { exportsPlugin } from './exports/plugin.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The validated settings this app was built with. */
    config: Config
    /** The one source of time for everything this app decides. */
    clock: Clock
  }
}

export interface BuildOptions {
  config: Config
  /** An already open database (tests, CLI); otherwise DATABASE_URL is opened and closed with the app. */
  database?: DatabaseHandle
  /** An already open object storage (tests); otherwise STORAGE_URL is opened and closed with the app. */
  storage?: ObjectStorage
  /** Where log lines go (stdout by default); tests pass a stream to read what was logged. */
  logStream?: { write(line: string): void }
  /** Replaces DNS for the webhook address guard (tests make names resolve where they need). */
  resolveHost?: Resolver
  /** The one source of time (tests pass a clock they move). */
  clock?: Clock
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** The organization (id or slug) a route's path names, if any. */
function organizationParam(params: unknown): string | null {
  const ref = (params as { organizationId?: unknown } | undefined)?.organizationId
  return typeof ref === 'string' ? ref : null
}

/** The whole service as one Fastify instance. Production and tests build it through this same function. */
export async function buildApp({
  config,
  database,
  storage,
  logStream,
  resolveHost,
  clock = systemClock,
}: BuildOptions): Promise<FastifyInstance> {
  const onFirstUse = new OnFirstUse()
  const app = Fastify({
    schemaController: { compilersFactory: onFirstUse.serializers() },
    logger: {
      level: config.LOG_LEVEL,
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
      ...(logStream ? { stream: logStream } : {}),
    },
    bodyLimit: config.BODY_LIMIT,
    ...serverOptions(config),
    // Honour a caller's request id when it is sane, so logs can be joined across services.
    genReqId: (req) => {
      const incoming = req.headers['x-request-id']
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID()
    },
    requestIdHeader: false,
  }).withTypeProvider<TypeBoxTypeProvider>()
  app.setValidatorCompiler(validatorCompiler(onFirstUse))
  app.decorate('compileSchemas', () => onFirstUse.compileAll())

  // An empty body with a JSON content type (common on DELETE) is no body, not a syntax error.
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const text = body.toString()
    if (text.trim() === '') return done(null, undefined)
    parseJson(request, text, (error, value) => {
      const bad = error ? null : invalidUtf8(body as Buffer, value)
      if (bad) done(bad, undefined)
      else if (error) done(error, undefined)
      else done(null, value)
    })
  })

  app.addHook('preValidation', refuseUnusableInput)

  installErrorHandling(app)
  app.decorate('config', config)
  app.decorate('clock', clock)
  await app.register(databasePlugin, {
    database: database ?? openDatabase(config.DATABASE_URL),
    closeWithApp: database === undefined,
  })
  const sealed = sealStorage(storage ?? (await openStorage(storageSettings(config))), app.db, config)
  await app.register(keyringPlugin, { keyring: sealed.keyring })
  await app.register(storagePlugin, { storage: sealed, closeWithApp: storage === undefined })
  await app.register(metricsPlugin)
  await app.register(securityPlugin, { config })
  await app.register(rateLimitPlugin, { config })
  const verifiedTokens = new TokenCache()
  await app.register(authPlugin, {
    authenticate: (header, { trustCache }) =>
      authenticate(app.db, header, { cache: verifiedTokens, trustCache, now: clock.now() }),
    forget: (tokenId) => verifiedTokens.forget(tokenId),
  })
  await app.register(proofPlugin, { config })
  await replayBeforeRequests(app, config)
  await app.register(purgeWorkerPlugin, { config })
  await app.register(eventsPlugin, { config, resolve: resolveHost })
  await app.register(exportsPlugin, { config })

  await app.register(openApiPlugin)
  await app.register(docsRoutes)
  await app.register(healthRoutes, { purgeBacklog: backlog, now: () => clock.now() })
  await app.register(jwksRoutes)

  await app.register(
    async (v1) => {
      v1.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
      honourIdempotencyKeys(v1, {
        store: idempotencyStore(app.db, clock, {
          ttlMs: config.IDEMPOTENCY_TTL_SECONDS * 1000,
          // A claim outlives the longest its request may run, as an upload's removal does (builds/routes.ts).
          leaseMs: config.REQUEST_TIMEOUT_MS + 60_000,
        }),
        callerOf: (request) =>
          request.appToken
            ? {
                caller: `app-token:${request.appToken.tokenId}`,
                organization: request.appToken.organizationId,
              }
            : request.auth
              ? { caller: `user:${request.auth.userId}`, organization: organizationParam(request.params) }
              : undefined,
      })
      await v1.register(async (authed) => {
        // Marks the routes below as authenticated, for the limits (rate-limit.ts) and nothing else.
        authed.addHook('onRoute', (route) => {
          route.config = { ...route.config, authenticated: true }
        })
        // One hook, not two: every authenticated request runs it.
        authed.addHook('onRequest', async (request, reply) => {
          await authed.requireAuth(request, reply)
          await authed.limitCaller(request, reply)
        })
        await authed.register(userRoutes)
        await authed.register(organizationRoutes)
        await authed.register(collaboratorRoutes)
        await authed.register(deletionRoutes)
        await authed.register(certificateRoutes)
        await authed.register(appRoutes)
        await authed.register(buildRoutes, { config })
        await authed.register(appTokenRoutes)
        await authed.register(deviceRoutes)
        await authed.register(subscriptionRoutes)
        await authed.register(auditRoutes)
        await authed.register(exportRoutes)
        await authed.register(webhookRoutes)
      })
      // CI uploads: authenticated by app tokens, not users' tokens (see integrations/auth.ts).
      await v1.register(integrationRoutes, { config })
    },
    { prefix: '/v1' },
  )
  await app.register(dashboardRoutes)

  return app
}
