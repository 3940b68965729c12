import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, dialect, type TestApp } from '../support/app.js'
import { chromiumAvailable, launchBrowser, type Browser } from '../e2e/browser.js'
import { listen } from './helpers.js'

// The security headers must not break the rendered API reference: a real browser loads /docs and reports
// every Content-Security-Policy violation. The database plays no part, so this runs once (SQLite project).

describe.runIf(dialect === 'sqlite' && chromiumAvailable())(
  '/docs under the security headers',
  { timeout: 60_000 },
  () => {
    let t: TestApp
    let browser: Browser
    let port: number
    beforeAll(async () => {
      t = await buildTestApp()
      port = await listen(t.app)
      browser = await launchBrowser()
    })
    afterAll(async () => {
      await browser?.close()
      await t?.close()
    })

    it('renders every operation with no policy violation', async () => {
      const page = await browser.context.newPage()
      const violations: string[] = []
      page.on('console', (message) => {
        if (/Content.Security.Policy|Refused to/i.test(message.text())) violations.push(message.text())
      })
      // Runs in the page (a string: the test's TypeScript has no DOM types).
      await page.addInitScript({
        content: `document.addEventListener('securitypolicyviolation', (event) =>
        console.error('Refused to load (CSP ' + event.violatedDirective + '): ' + event.blockedURI))`,
      })
      const response = await page.goto(`http://127.0.0.1:${port}/docs`)
      expect(response?.status()).toBe(200)
      await page.locator('.swagger-ui .info .title').filter({ hasText: 'orgspace' }).waitFor()
      await page.locator('.opblock').first().waitFor()
      expect(await page.locator('.opblock').count()).toBeGreaterThan(10)
      expect(violations).toEqual([])
      await page.close()
    })
  },
)
