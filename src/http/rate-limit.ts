import fp from 'fastify-plugin'
import rateLimit, { normalizeIP } from '@fastify/rate-limit'
import type { Redis } from 'ioredis'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from '../config.js'
import { AppError, ErrorCode } from '../core/errors.js'

// Abuse limits, counted per process or, with REDIS_URL, in Redis so that every process shares one budget:
// - every authenticated request, per API token — counted once the token is verified, so nobody can spend
//   another's budget by sending its id with a made-up secret;
// - every request to a route without authentication (and to no route at all), per client address, whatever
//   Authorization header it carries: a made-up token gets no budget of its own there;
// - a route's own, tighter limit (`config.limit`, e.g. DELETE of an organization), per token;
// - failed authentications (4002/4004/4005) per client address: once over, that address is refused before its
//   token is looked up, so guessing tokens costs the database nothing.

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set on every route that needs a token (by the authenticated scope in app.ts). */
    authenticated?: boolean
    /** Set on routes that authenticate an app token themselves (the CI routes): they share the failure limit. */
    appToken?: boolean
    /** A limit of the route's own, counted per token on top of the caller's budget. */
    limit?: 'organization-delete'
  }
  interface FastifyInstance {
    /** onRequest hook for authenticated routes, after `requireAuth`: charges the verified token's budgets. */
    limitCaller: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
  }
}

const AUTH_FAILURES = new Set<number>([ErrorCode.NoAuthToken, ErrorCode.InvalidToken, ErrorCode.TokenExpired])

/** Entries each in-process counter keeps; the least recently seen keys are forgotten first. */
const LOCAL_KEYS = 20_000

type Limiter = ReturnType<FastifyRequest['server']['createRateLimit']>
type Outcome = Awaited<ReturnType<Limiter>>

function clientAddress(request: FastifyRequest): string {
  return `address:${normalizeIP(request.ip)}`
}

function refuse(reply: FastifyReply, outcome: Outcome): never {
  const seconds = outcome.isAllowed ? 1 : Math.max(1, outcome.ttlInSeconds)
  reply.header('retry-after', String(seconds))
  throw new AppError(ErrorCode.TooManyRequests)
}

async function connectRedis(url: string, onError: (error: unknown) => void): Promise<Redis> {
  // Loaded only with REDIS_URL: most processes count alone and never need it.
  const { Redis } = await import('ioredis')
  const redis = new Redis(url, {
    lazyConnect: true,
    // While Redis is away, a command fails at once instead of queueing: the limiter then lets the request
    // through (skipOnError) rather than holding every request of the service hostage to Redis.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 1_000,
  })
  redis.on('error', onError)
  // An operator who set REDIS_URL expects shared limits: start-up fails rather than silently counting alone.
  try {
    await redis.connect()
  } catch (error) {
    redis.disconnect()
    throw error
  }
  return redis
}

export const rateLimitPlugin = fp<{ config: Config }>(
  async (app, { config }) => {
    if (config.RATE_LIMIT === 'off') {
      app.decorate('limitCaller', async () => undefined)
      return
    }

    let redis: Redis | undefined
    if (config.REDIS_URL !== '') {
      let lastLogged = 0
      redis = await connectRedis(config.REDIS_URL, (error) => {
        // ioredis retries forever while Redis is down; one line a minute is enough to tell the operator.
        if (Date.now() - lastLogged < 60_000) return
        lastLogged = Date.now()
        app.log.warn({ err: error }, 'rate limit store unavailable; requests are not being counted')
      })
      const client = redis
      app.addHook('onClose', async () => {
        await client.quit().catch(() => client.disconnect())
      })
    }

    await app.register(rateLimit, {
      global: false,
      skipOnError: true,
      cache: LOCAL_KEYS,
      ...(redis ? { redis, nameSpace: 'orgspace:ratelimit:' } : {}),
    })

    const timeWindow = config.RATE_LIMIT_WINDOW_MS
    const perToken = app.createRateLimit({
      max: config.RATE_LIMIT_PER_TOKEN,
      timeWindow,
      keyGenerator: (request) => `caller:token:${request.auth.tokenId}`,
    })
    const perAddress = app.createRateLimit({
      max: config.RATE_LIMIT_PER_TOKEN,
      timeWindow,
      keyGenerator: (request) => `caller:${clientAddress(request)}`,
    })
    const routeLimits = {
      'organization-delete': app.createRateLimit({
        max: config.RATE_LIMIT_ORG_DELETE,
        timeWindow,
        keyGenerator: (request) => `org-delete:token:${request.auth.tokenId}`,
      }),
    }
    const authFailures = app.createRateLimit({
      max: config.RATE_LIMIT_AUTH_FAILURES,
      timeWindow,
      keyGenerator: (request) => `auth-failure:${clientAddress(request)}`,
    })

    /** Counts one request against `limiter`; over budget it is refused with 4029 and Retry-After. */
    async function charge(limiter: Limiter, request: FastifyRequest, reply: FastifyReply, headers: boolean) {
      const outcome = await limiter(request)
      if (outcome.isAllowed) return
      if (headers) {
        reply.header('x-ratelimit-limit', String(outcome.max))
        reply.header('x-ratelimit-remaining', String(outcome.remaining))
        reply.header('x-ratelimit-reset', String(outcome.ttlInSeconds))
      }
      if (outcome.isExceeded) refuse(reply, outcome)
    }

    app.addHook('onRequest', async (request, reply) => {
      const { authenticated, appToken } = request.routeOptions.config
      // An address over its failure budget is refused before anything reads its token, whichever kind it is.
      if ((authenticated || appToken) && request.headers.authorization !== undefined) {
        const failures = await authFailures(request, { increment: false })
        if (!failures.isAllowed && failures.remaining === 0) refuse(reply, failures)
      }
      if (!authenticated) await charge(perAddress, request, reply, true)
    })

    app.decorate('limitCaller', async (request: FastifyRequest, reply: FastifyReply) => {
      await charge(perToken, request, reply, true)
      const own = request.routeOptions.config.limit
      if (own) await charge(routeLimits[own], request, reply, false)
    })

    app.addHook('onError', async (request, _reply, error: unknown) => {
      if (error instanceof AppError && AUTH_FAILURES.has(error.code)) await authFailures(request)
    })
  },
  { name: 'rate-limit' },
)
