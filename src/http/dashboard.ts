import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyError, FastifyPluginAsync } from 'fastify'
import { ROOT } from '../root.js'

/** Where `npm run build:web` writes the dashboard. */
const DASHBOARD_ROOT = fileURLToPath(new URL('web/dist', ROOT))

export interface DashboardOptions {
  /** The built dashboard; tests point it elsewhere to see the page shown when it is missing. */
  root?: string
}

// The dashboard only talks to its own origin; a strict policy keeps an injected script from sending the
// token anywhere else.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ')

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>orgspace</title></head>
<body><h1>orgspace</h1>
<p>The API is running, but the dashboard has not been built. Run <code>npm run build:web</code> (or
<code>npm ci</code>, which builds it), then reload this page.</p>
<p>The API reference is at <a href="/docs">/docs</a>.</p></body></html>
`

/** Paths the SPA never uses for pages: anything under /v1 stays the API's, with its JSON 404. */
const API_PATH = /^\/v1(\/|$)/

/**
 * Serves the built dashboard at `/`: files by name, and index.html for every other page path so its
 * history-API URLs can be bookmarked and reloaded. Routes registered elsewhere (/v1, /docs, /healthz, …)
 * are more specific than `/*` and keep answering themselves.
 */
export const dashboardRoutes: FastifyPluginAsync<DashboardOptions> = async (app, options) => {
  const root = options.root ?? DASHBOARD_ROOT
  await app.register(fastifyStatic, {
    root,
    serve: false,
    decorateReply: !app.hasReplyDecorator('sendFile'),
    // A missing build is a normal state (the page below says what to do), not a warning.
    suppressWarning: true,
  })

  // What the file server refuses (a range past the end, a failed precondition, a path it will not serve) is a
  // file the client cannot have: the envelope's 404, like a missing one, not a bare status or a 500.
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    const status = error.statusCode ?? 500
    if (status >= 400 && status < 500) return reply.callNotFound()
    throw error
  })

  app.get('/*', { schema: { hide: true } }, async (request, reply) => {
    const path = request.url.split('?')[0] ?? '/'
    if (API_PATH.test(path)) return reply.callNotFound()
    if (!existsSync(join(root, 'index.html'))) {
      return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(NOT_BUILT)
    }
    const file = (request.params as { '*'?: string })['*'] ?? ''
    const segments = file.split('/')
    // Page URLs have no dot in their last segment (ids and slugs never do); file URLs always do.
    if (segments.at(-1)?.includes('.')) {
      if (segments.includes('..') || file.includes('\\') || file.includes('\0')) return reply.callNotFound()
      // Source maps would hand out the dashboard's sources; the build makes none, and one left there stays private.
      if (/\.map$/i.test(file)) return reply.callNotFound()
      // Built assets carry a content hash in their name, so they never change under the same URL.
      const hashed = file.startsWith('assets/')
      return reply.sendFile(file, hashed ? { maxAge: '365d', immutable: true } : { cacheControl: true })
    }
    return reply
      .header('cache-control', 'no-cache')
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .sendFile('index.html', { cacheControl: false })
  })
}
