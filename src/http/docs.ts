import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { gzip } from 'node:zlib'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'

// The API reference at /docs: Scalar's renderer, served from this server (no CDN), reading the one OpenAPI
// document at /v1/openapi.json. The page is ours rather than the Fastify plugin's, whose page carries an inline
// script (blocked by the policy below) and which adds /docs/openapi.json and .yaml beside /v1/openapi.json.

const SPEC_URL = '/v1/openapi.json'

/**
 * The renderer's bundle, shipped inside @scalar/fastify-api-reference. Resolved from the package's entry point
 * because its `exports` name no other file.
 */
const BUNDLE = join(
  dirname(createRequire(import.meta.url).resolve('@scalar/fastify-api-reference')),
  'js',
  'standalone.js',
)

// Fonts come from the system (the renderer's default fetches them from its vendor); nothing phones home.
const CONFIGURATION = {
  url: SPEC_URL,
  withDefaultFonts: false,
  telemetry: false,
  hideClientButton: true,
  showDeveloperTools: 'never',
  documentDownloadType: 'json',
  persistAuth: false,
  authentication: { preferredSecurityScheme: 'bearer' },
  // The "Ask AI" agent talks to the vendor's servers.
  agent: { disabled: true },
}

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>orgspace API reference</title>
    <link rel="icon" href="data:," />
  </head>
  <body>
    <noscript>The API reference needs JavaScript. The OpenAPI document itself is at <a href="${SPEC_URL}">${SPEC_URL}</a>.</noscript>
    <div id="app"></div>
    <script src="/docs/assets/scalar.js"></script>
    <script src="/docs/assets/init.js"></script>
  </body>
</html>
`

const INIT = `Scalar.createApiReference('#app', ${JSON.stringify(CONFIGURATION)})\n`

/**
 * Scripts only from here, no inline script. The renderer injects its styles at run time (hence
 * 'unsafe-inline' for styles only), draws icons from data: URLs, and calls only this origin (the document,
 * and "try it" requests to the API).
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ')

interface Asset {
  body: Buffer
  gzipped: Buffer
  etag: string
}

/** Read and compressed once per process, on first use (3.5 MB, 1 MB gzipped). */
let bundle: Promise<Asset> | undefined

async function asset(body: Buffer): Promise<Asset> {
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`
  return { body, gzipped: await promisify(gzip)(body), etag }
}

function sendAsset(request: FastifyRequest, reply: FastifyReply, { body, gzipped, etag }: Asset) {
  reply
    .type('text/javascript; charset=utf-8')
    .header('etag', etag)
    .header('cache-control', 'no-cache')
    .header('vary', 'accept-encoding')
  if (request.headers['if-none-match'] === etag) return reply.status(304).send()
  if (/\bgzip\b/.test(request.headers['accept-encoding'] ?? '')) {
    return reply.header('content-encoding', 'gzip').send(gzipped)
  }
  return reply.send(body)
}

export const docsRoutes: FastifyPluginAsync = async (app) => {
  const hide = { schema: { hide: true } }
  const init = asset(Buffer.from(INIT))

  app.get('/docs', hide, async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', CSP)
      .header('cache-control', 'no-cache')
      .header('referrer-policy', 'no-referrer')
      .send(PAGE),
  )

  app.get('/docs/assets/scalar.js', hide, async (request, reply) => {
    bundle ??= readFile(BUNDLE).then(asset)
    return sendAsset(request, reply, await bundle)
  })

  app.get('/docs/assets/init.js', hide, async (request, reply) => sendAsset(request, reply, await init))

  // Everything else under /docs — other files, `..` paths, the old swagger-ui URLs — is not found, in the
  // envelope like any other unknown path. `/docs/` is the page itself.
  app.get('/docs/*', hide, async (request, reply) => {
    const rest = (request.params as { '*'?: string })['*'] ?? ''
    if (rest === '') return reply.redirect('/docs', 301)
    return reply.callNotFound()
  })
}
