import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, dialect, type TestApp } from '../support/app.js'
import { chromiumAvailable, launchBrowser, type Browser } from '../e2e/browser.js'
import { listen } from './helpers.js'

// The API reference as a reader gets it: a real browser loads /docs under the security headers, and the page
// must render orgspace's name, version, "Getting a token", the error-code table and the operations — fetching
// nothing from any other origin, and breaking no Content-Security-Policy rule. The database plays no part, so
// this runs once (SQLite project).

const VERSION: string = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
).version

// The renderer's schema library probes once whether it may compile validators with `new Function` and, refused
// by the policy (no 'unsafe-eval'), validates without them. That one refusal is expected; any other is a bug.
const EVAL_PROBE = /^script-src eval$/

describe.runIf(dialect === 'sqlite' && chromiumAvailable())(
  '/docs in a browser, under the security headers',
  { timeout: 180_000 },
  () => {
    let t: TestApp
    let browser: Browser
    let origin: string
    beforeAll(async () => {
      t = await buildTestApp()
      origin = `http://127.0.0.1:${await listen(t.app)}`
      browser = await launchBrowser()
    })
    afterAll(async () => {
      await browser?.close()
      await t?.close()
    })

    it('renders name, version, token guide, error table and operations from this server alone', async () => {
      const page = await browser.context.newPage()
      const violations: string[] = []
      const requests: string[] = []
      const failed: string[] = []
      page.on('console', (message) => {
        const text = message.text()
        if (text.startsWith('CSP ')) violations.push(text.slice(4))
        else if (/Content.Security.Policy|Refused to/i.test(text)) violations.push(text)
      })
      page.on('request', (request) => requests.push(request.url()))
      page.on('requestfailed', (request) => failed.push(request.url()))
      page.on('response', (response) => {
        if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`)
      })
      // Runs in the page (a string: the test's TypeScript has no DOM types).
      await page.addInitScript({
        content: `document.addEventListener('securitypolicyviolation', (event) =>
        console.error('CSP ' + event.violatedDirective + ' ' + event.blockedURI))`,
      })

      // Not waiting for "load": that waits for the 3.5 MB renderer to run, which the checks below wait for anyway.
      const response = await page.goto(`${origin}/docs`, { waitUntil: 'commit' })
      expect(response?.status()).toBe(200)
      // The renderer parses the whole document before drawing; on a loaded machine that takes a while.
      await page.getByRole('heading', { name: 'orgspace', exact: true }).waitFor({ timeout: 60_000 })
      await page.getByText(`v${VERSION}`, { exact: true }).waitFor()
      await page.getByRole('heading', { name: 'Getting a token' }).waitFor()
      await page.getByText('npx orgspace user create --email', { exact: false }).first().waitFor()
      for (const code of ['3001', '4003', '5001', '5111']) {
        await page.getByRole('cell', { name: code, exact: true }).waitFor()
      }

      // The seed operation, with its permission and its 5111.
      await page.getByRole('button', { name: 'Delete organization workspace permanently' }).first().click()
      await page.getByText('Required Permission: base.organization.management.remove').first().waitFor()
      await page
        .getByText(/5111 Can not perform this action/)
        .first()
        .waitFor()

      // "Test Request" calls the API from the page: allowed by the policy, and answered in the envelope.
      await page
        .getByRole('button', { name: /Test Request/ })
        .first()
        .click()
      const sent = page.waitForResponse((r) => r.url().startsWith(`${origin}/v1/`))
      await page.getByRole('button', { name: /^Send/ }).first().click()
      const answer = await sent
      expect(answer.status()).toBe(401)
      // No token typed in: refused as having none or an empty one.
      expect([4002, 4004]).toContain((await answer.json()).error.code)

      expect(violations.filter((v) => !EVAL_PROBE.test(v))).toEqual([])
      expect(failed.filter((f) => f !== `401 ${answer.url()}`)).toEqual([])
      expect(requests.filter((url) => new URL(url).origin !== origin)).toEqual([])
      // One document, read from its one URL.
      expect(requests.filter((url) => /openapi|swagger|\.ya?ml/.test(url))).toEqual([
        `${origin}/v1/openapi.json`,
      ])
      await page.close()
    })
  },
)
