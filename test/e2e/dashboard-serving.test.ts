import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dashboardRoutes } from '../../src/http/dashboard.js'
import { installErrorHandling } from '../../src/http/error-handler.js'
import { buildTestApp, type TestApp } from '../support/app.js'

// How the dashboard is served, without a browser: which paths get files, which get index.html, and that the
// API's own answers are untouched.

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'orgspace-dashboard-'))
  mkdirSync(join(dir, 'dist', 'assets'), { recursive: true })
  writeFileSync(join(dir, 'dist', 'index.html'), '<!doctype html><title>fixture dashboard</title>')
  writeFileSync(join(dir, 'dist', 'assets', 'app-1a2b3c.js'), 'console.log("dashboard")')
  writeFileSync(join(dir, 'dist', 'assets', 'app-1a2b3c.js.map'), '{"version":3,"sources":["../src/api.ts"]}')
  writeFileSync(join(dir, 'secret.txt'), 'outside the dashboard')
  mkdirSync(join(dir, 'empty'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function serve(root: string): Promise<FastifyInstance> {
  const app = Fastify({ logger: false })
  installErrorHandling(app)
  await app.register(dashboardRoutes, { root })
  await app.ready()
  return app
}

describe('dashboard files', () => {
  it('serves index.html for page paths, with a strict same-origin policy', async () => {
    const app = await serve(join(dir, 'dist'))
    for (const url of ['/', '/workspaces/acme/danger', '/deletions/0123456789abcdef01234567?x=1']) {
      const reply = await app.inject({ url })
      expect(reply.statusCode, url).toBe(200)
      expect(reply.body, url).toContain('fixture dashboard')
      expect(reply.headers['cache-control']).toBe('no-cache')
      expect(reply.headers['content-security-policy']).toContain("connect-src 'self'")
    }
    await app.close()
  })

  it('serves built assets as immutable files and answers 404 for missing or escaping ones', async () => {
    const app = await serve(join(dir, 'dist'))
    const asset = await app.inject({ url: '/assets/app-1a2b3c.js' })
    expect(asset.statusCode).toBe(200)
    expect(asset.body).toBe('console.log("dashboard")')
    expect(asset.headers['cache-control']).toContain('immutable')
    const missing = await app.inject({ url: '/assets/app-000000.js' })
    expect(missing.statusCode).toBe(404)
    expect(missing.json()).toEqual({ status: false, error: { code: 1002, message: 'Route not found' } })
    for (const url of ['/..%2fsecret.txt', '/assets/..%2f..%2fsecret.txt', '/%2e%2e/secret.txt']) {
      const escape = await app.inject({ url })
      expect(escape.body, url).not.toContain('outside the dashboard')
    }
    await app.close()
  })

  it('never serves a source map, even one left in the build', async () => {
    const app = await serve(join(dir, 'dist'))
    for (const url of [
      '/assets/app-1a2b3c.js.map',
      '/assets/app-1a2b3c.js.MAP',
      '/assets/app-1a2b3c.js.map?x=1',
    ]) {
      const reply = await app.inject({ url })
      expect(reply.statusCode, url).toBe(404)
      expect(reply.body, url).not.toContain('sources')
      expect(reply.json(), url).toEqual({ status: false, error: { code: 1002, message: 'Route not found' } })
    }
    await app.close()
  })

  it('answers what the file server refuses (ranges, preconditions) with the envelope 404, never a 500', async () => {
    const app = await serve(join(dir, 'dist'))
    const refused = [
      { range: 'bytes=999999-' },
      { 'if-match': '"not-this-one"' },
      { 'if-unmodified-since': 'Thu, 01 Jan 1970 00:00:00 GMT' },
    ]
    for (const url of ['/assets/app-1a2b3c.js', '/index.html', '/workspaces/acme']) {
      for (const headers of refused) {
        const reply = await app.inject({ url, headers })
        const label = `${url} ${JSON.stringify(headers)}`
        expect(reply.statusCode, label).toBe(404)
        expect(reply.json(), label).toEqual({
          status: false,
          error: { code: 1002, message: 'Route not found' },
        })
      }
      // A range the file can satisfy is still served.
      expect((await app.inject({ url, headers: { range: 'bytes=0-1' } })).statusCode, url).toBe(206)
    }
    await app.close()
  })

  it('says how to build the dashboard when it has not been built', async () => {
    const app = await serve(join(dir, 'empty'))
    const reply = await app.inject({ url: '/' })
    expect(reply.statusCode).toBe(200)
    expect(reply.headers['content-type']).toContain('text/html')
    expect(reply.body).toContain('npm run build:web')
    await app.close()
  })
})

describe('dashboard beside the API', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp()
  })
  afterAll(async () => t.close())

  it('leaves /v1, /docs and the probes answering for themselves', async () => {
    for (const url of ['/v1', '/v1/', '/v1/no-such-route', '/v1/organizations/x/nothing']) {
      const reply = await t.app.inject({ url })
      expect(reply.statusCode, url).toBe(404)
      expect(reply.json(), url).toEqual({ status: false, error: { code: 1002, message: 'Route not found' } })
    }
    expect((await t.app.inject({ url: '/v1/organizations' })).json().error.code).toBe(4002)
    expect((await t.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' })
    expect((await t.app.inject({ url: '/v1/openapi.json' })).json().openapi).toBe('3.1.0')
    expect((await t.app.inject({ url: '/docs' })).body).not.toContain('npm run build:web')
    const post = await t.app.inject({ method: 'POST', url: '/workspaces' })
    expect(post.statusCode).toBe(404)
    expect(post.json().error.code).toBe(1002)
    const root = await t.app.inject({ url: '/' })
    expect(root.statusCode).toBe(200)
    expect(root.headers['content-type']).toContain('text/html')
  })
})
