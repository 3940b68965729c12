import { randomUUID } from 'node:crypto'
import type { Socket } from 'node:net'
import fp from 'fastify-plugin'
import cors from '@fastify/cors'
import helmet from 'helmet'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { FastifyHttpOptions } from 'fastify'
import { corsOrigins, trustProxy, type Config } from '../config.js'
import { PATH_PARAMETER_MAX_LENGTH } from '../contract/identifiers.js'
import { errorBody } from './envelope.js'
import { frameworkErrors } from './error-handler.js'
import { ErrorCode } from '../core/errors.js'

/**
 * The node server's limits: how big and how slow a request may be, and how long idle sockets live. They are
 * part of buildApp's Fastify options, so production and tests run with the same ones.
 */
export function serverOptions(config: Config): FastifyHttpOptions<Server> {
  return {
    http: {
      maxHeaderSize: config.MAX_HEADER_SIZE,
      // Headers are part of the request, so they get no longer than the whole request does.
      headersTimeout: Math.min(config.REQUEST_TIMEOUT_MS, 60_000),
      // Node looks for timed-out requests only this often (30 s by default), which would let a slow client
      // hold a connection up to twice REQUEST_TIMEOUT_MS.
      connectionsCheckingInterval: Math.min(30_000, Math.max(500, Math.floor(config.REQUEST_TIMEOUT_MS / 4))),
    },
    routerOptions: { maxParamLength: PATH_PARAMETER_MAX_LENGTH },
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    connectionTimeout: config.CONNECTION_TIMEOUT_MS,
    keepAliveTimeout: config.KEEP_ALIVE_TIMEOUT_MS,
    trustProxy: trustProxy(config),
    // While shutting down, a request that still arrives on an open keep-alive connection is served (with
    // `connection: close`) instead of getting Fastify's own 503 body, which is not the envelope; the shutdown
    // bound in server.ts caps how long that can go on.
    return503OnClosing: false,
    clientErrorHandler,
    frameworkErrors,
  }
}

const CLIENT_ERRORS: Record<string, string> = {
  HPE_HEADER_OVERFLOW: 'request headers are too large',
  ERR_HTTP_REQUEST_TIMEOUT: 'request was not received within the request timeout',
  ERR_HTTP_HEADERS_TIMEOUT: 'request headers were not received within the request timeout',
}

/**
 * Requests that node's HTTP parser rejects (oversized headers, malformed syntax, too slow) never reach a route.
 * They still get the envelope, with the 400/3000 of the code table, as nginx answers them with 400.
 */
function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  if (socket.writable) {
    const reason = CLIENT_ERRORS[error.code ?? ''] ?? 'request is not valid HTTP'
    const body = JSON.stringify(
      errorBody(ErrorCode.ValidationError, { errors: [{ path: '/request', message: reason }] }),
    )
    socket.write(
      'HTTP/1.1 400 Bad Request\r\n' +
        'content-type: application/json; charset=utf-8\r\n' +
        `content-length: ${Buffer.byteLength(body)}\r\n` +
        `x-request-id: ${randomUUID()}\r\n` +
        'connection: close\r\n\r\n' +
        body,
    )
  }
  socket.destroy()
}

/**
 * The security headers, as helmet sets them: helmet is asked once, against a response that only records what
 * it is told, since the headers are the same for every request. They go into Fastify's own reply headers, so
 * that node validates them once, when the answer's head is written, instead of at every `setHeader`.
 * The CSP allows only same-origin scripts, styles, images and fetches: what the dashboard at `/` needs;
 * /docs (docs.ts) sets its own policy on its page. `upgrade-insecure-requests` is left out
 * because orgspace is often reached over plain HTTP on a private network or localhost, where it would break
 * the dashboard; deployments behind TLS get HSTS instead.
 */
export function securityHeaders(): Record<string, string> {
  const secure = helmet({
    contentSecurityPolicy: {
      useDefaults: true,
      directives: {
        'default-src': ["'self'"],
        'connect-src': ["'self'"],
        'img-src': ["'self'", 'data:'],
        'frame-ancestors': ["'none'"],
        'form-action': ["'self'"],
        'upgrade-insecure-requests': null,
      },
    },
    frameguard: { action: 'deny' },
    hsts: { maxAge: 31_536_000, includeSubDomains: true },
  })
  const headers: Record<string, string> = {}
  const recorder = {
    setHeader(name: string, value: string) {
      headers[name.toLowerCase()] = value
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()]
    },
  }
  let failed: unknown
  secure(
    {} as IncomingMessage,
    recorder as unknown as ServerResponse,
    (error?: unknown) => void (failed = error),
  )
  if (failed) throw failed
  return headers
}

/**
 * Security headers and the request id on every response, and CORS when CORS_ORIGINS names origins.
 */
export const securityPlugin = fp<{ config: Config }>(
  async (app, { config }) => {
    const headers = securityHeaders()
    // One hook for what every answer carries: the same security headers each time, and the request's id.
    app.addHook('onRequest', (request, reply, done) => {
      reply.headers(headers).header('x-request-id', request.id)
      done()
    })

    const origins = corsOrigins(config)
    if (origins.length > 0) {
      await app.register(cors, {
        origin: origins,
        methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
        allowedHeaders: ['authorization', 'content-type', 'x-request-id', 'idempotency-key'],
        exposedHeaders: [
          'x-request-id',
          'retry-after',
          'x-ratelimit-limit',
          'x-ratelimit-remaining',
          'x-ratelimit-reset',
          'idempotent-replayed',
        ],
        // Bearer tokens, not cookies: credentialed CORS would only widen what a hostile page could do.
        credentials: false,
        maxAge: 600,
      })
    }
  },
  { name: 'security' },
)
