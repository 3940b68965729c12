import fp from 'fastify-plugin'
import rateLimit, { normalizeIP } from '@fastify/rate-limit'
import { Redis } from 'ioredis'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from '../config.js'
import { parseToken } from '../tokens/secret.js'
import { AppError, ErrorCode } from './errors.js'

// Abuse limits, counted per process or, with REDIS_URL, in Redis so that every process shares one budget:
// - every request, per API token (unauthenticated ones per client address);
// - DELETE of an organization, tighter, per token;
// - failed authentications (4002/4004/4005) per client address: once over, that address is refused before its
//   token is looked up, so guessing tokens costs the database nothing.
// The limiter reads the token id from the header without verifying it: forged ids each get a fresh budget,
// but every forged one fails authentication and spends the address's much smaller failure budget.

/** Method and route pattern of the organization DELETE; matched as a pattern so it holds for any id or slug. */
const ORG_DELETE = { method: 'DELETE', url: '/v1/organizations/:organizationId' } as const

const AUTH_FAILURES = new Set<number>([ErrorCode.NoAuthToken, ErrorCode.InvalidToken, ErrorCode.TokenExpired])

/** Entries each in-process counter keeps; the least recently seen keys are forgotten first. */
const LOCAL_KEYS = 20_000

type Limiter = ReturnType<FastifyRequest['server']['createRateLimit']>
type Outcome = Awaited<ReturnType<Limiter>>

function clientAddress(request: FastifyRequest): string {
  return `address:${normalizeIP(request.ip)}`
}

/** The token id named by `Authorization: Bearer osk_<id>_…`, else the client address. */
function callerKey(request: FastifyRequest): string {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(request.headers.authorization ?? '')
  const token = match?.[1] ? parseToken(match[1]) : null
  return token ? `token:${token.id}` : clientAddress(request)
}

function refuse(reply: FastifyReply, outcome: Outcome): never {
  const seconds = outcome.isAllowed ? 1 : Math.max(1, outcome.ttlInSeconds)
  reply.header('retry-after', String(seconds))
  throw new AppError(ErrorCode.TooManyRequests)
}

async function connectRedis(url: string, onError: (error: unknown) => void): Promise<Redis> {
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
    if (config.RATE_LIMIT === 'off') return

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
    const perCaller = app.createRateLimit({
      max: config.RATE_LIMIT_PER_TOKEN,
      timeWindow,
      keyGenerator: (request) => `caller:${callerKey(request)}`,
    })
    const orgDelete = app.createRateLimit({
      max: config.RATE_LIMIT_ORG_DELETE,
      timeWindow,
      keyGenerator: (request) => `org-delete:${callerKey(request)}`,
    })
    const authFailures = app.createRateLimit({
      max: config.RATE_LIMIT_AUTH_FAILURES,
      timeWindow,
      keyGenerator: (request) => `auth-failure:${clientAddress(request)}`,
    })

    app.addHook('onRequest', async (request, reply) => {
      // An address over its failure budget is refused before anything reads its token.
      if (request.headers.authorization !== undefined) {
        const failures = await authFailures(request, { increment: false })
        if (!failures.isAllowed && failures.remaining === 0) refuse(reply, failures)
      }

      const caller = await perCaller(request)
      if (!caller.isAllowed) {
        reply.header('x-ratelimit-limit', String(caller.max))
        reply.header('x-ratelimit-remaining', String(caller.remaining))
        reply.header('x-ratelimit-reset', String(caller.ttlInSeconds))
        if (caller.isExceeded) refuse(reply, caller)
      }

      if (request.method === ORG_DELETE.method && request.routeOptions.url === ORG_DELETE.url) {
        const deletes = await orgDelete(request)
        if (!deletes.isAllowed && deletes.isExceeded) refuse(reply, deletes)
      }
    })

    app.addHook('onError', async (request, _reply, error: unknown) => {
      if (error instanceof AppError && AUTH_FAILURES.has(error.code)) await authFailures(request)
    })
  },
  { name: 'rate-limit' },
)
