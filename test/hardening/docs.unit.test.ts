import { gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { listen, rawRequest } from './helpers.js'

// /docs serves one page and its two scripts; everything else under /docs is an unknown path, answered like any
// other: 404 in the envelope. The database plays no part, so this runs once (SQLite project).

const NOT_FOUND = { status: false, error: { code: 1002, message: 'Route not found' } }

let t: TestApp
let port: number
beforeAll(async () => {
  t = await buildTestApp()
  port = await listen(t.app)
})
afterAll(async () => t.close())

describe('/docs', () => {
  it('is one page reading the one OpenAPI document, with scripts from this server only', async () => {
    const page = await t.app.inject({ url: '/docs' })
    expect(page.statusCode).toBe(200)
    const urls = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1])
    expect(urls).toEqual(['data:,', '/v1/openapi.json', '/docs/assets/scalar.js', '/docs/assets/init.js'])
    const init = await t.app.inject({ url: '/docs/assets/init.js' })
    expect(init.body).toContain('"url":"/v1/openapi.json"')
    expect(init.body).not.toMatch(/https?:\/\//)
    expect((await t.app.inject({ url: '/docs/' })).headers.location).toBe('/docs')
  })

  it('sends the renderer compressed when the browser accepts it, and revalidates it by etag', async () => {
    const plain = await t.app.inject({ url: '/docs/assets/scalar.js' })
    expect(plain.statusCode).toBe(200)
    expect(plain.headers['content-type']).toMatch(/javascript/)
    expect(plain.body).toContain('createApiReference')
    const zipped = await t.app.inject({
      url: '/docs/assets/scalar.js',
      headers: { 'accept-encoding': 'gzip, br' },
    })
    expect(zipped.headers['content-encoding']).toBe('gzip')
    expect(zipped.rawPayload.length).toBeLessThan(plain.rawPayload.length / 2)
    expect(gunzipSync(zipped.rawPayload).equals(plain.rawPayload)).toBe(true)
    const again = await t.app.inject({
      url: '/docs/assets/scalar.js',
      headers: { 'if-none-match': String(plain.headers.etag) },
    })
    expect(again.statusCode).toBe(304)
    expect(again.body).toBe('')
  })

  it('answers 404 in the envelope for every other path under it, blocked traversals included', async () => {
    // Raw requests: the path reaches the server exactly as written, `..` and all.
    for (const path of [
      '/docs/static/../package.json',
      '/docs/static/%2e%2e/%2e%2e/package.json',
      '/docs/../package.json',
      '/docs/assets/../../package.json',
      '/docs/assets/..%2f..%2fpackage.json',
      '/docs/static/index.html',
      '/docs/json',
      '/docs/yaml',
      '/docs/openapi.json',
      '/docs/assets/nothing.js',
    ]) {
      const reply = await rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)
      expect(reply.status, path).toBe(404)
      expect(reply.headers['content-type'], path).toMatch(/^application\/json/)
      expect(JSON.parse(reply.body), path).toEqual(NOT_FOUND)
    }
  })
})
