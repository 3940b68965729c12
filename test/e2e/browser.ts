import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AxeBuilder } from '@axe-core/playwright'
import { chromium, type BrowserContext, type Page } from 'playwright-core'

// End-to-end tests drive the distribution's own chromium (never a downloaded browser build).
export const CHROMIUM = '/usr/bin/chromium'

/** Whether the browser is there; without it the suite is skipped loudly, and in CI it fails instead. */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true
  const message = `${CHROMIUM} is missing: the dashboard browser tests are SKIPPED (apt-get install chromium)`
  if (process.env.CI === 'true') throw new Error(`${message} — refusing to pass in CI`)
  console.warn(`\n${'!'.repeat(message.length)}\n${message}\n${'!'.repeat(message.length)}\n`)
  return false
}

/** The newest modification time among the dashboard's sources. */
function newestSource(path: string): number {
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  return Math.max(0, ...readdirSync(path).map((name) => newestSource(join(path, name))))
}

/**
 * Builds web/ into web/dist when the build is missing or older than its sources, so the browser sees the
 * dashboard as the sources are now. A fresh build (npm ci's) is left alone: rebuilding empties web/dist,
 * which other test files serving `/` at the same moment would notice.
 */
export function buildDashboard(): void {
  const built = 'web/dist/index.html'
  const sources = ['web/index.html', 'web/vite.config.ts', 'web/src'].map(newestSource)
  if (existsSync(built) && statSync(built).mtimeMs >= Math.max(...sources)) return
  execFileSync(
    process.execPath,
    ['node_modules/vite/bin/vite.js', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  )
}

export interface Browser {
  context: BrowserContext
  close(): Promise<void>
}

export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'orgspace-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1200, height: 900 },
  })
  context.setDefaultTimeout(15_000)
  return {
    context,
    async close() {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    },
  }
}

/** A new tab at `url`, signed in with `token` through the sign-in form, as a person would. */
export async function signIn(browser: Browser, url: string, token: string): Promise<Page> {
  const page = await browser.context.newPage()
  await page.goto(url)
  await page.getByLabel('API token').fill(token)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('button', { name: 'Sign out' }).waitFor()
  return page
}

// axe-core is loaded once per document, before the page's own script (and whatever its CSP says), instead of
// being sent again for every check: on a busy two-core machine that halved the time of each check. Legacy mode
// runs axe in the page itself rather than finishing each run in a new blank tab; the dashboard has no frames.
// The page must have had `page.addInitScript({ content: axe.source })` (axe-core's) before it was loaded.
const AXE_LOADED = 'void "axe-core is loaded by the page\'s init script"'

/** axe's violations on the page as it is now, one line each, starting with their impact. */
export async function violations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page, axeSource: AXE_LOADED }).setLegacyMode().analyze()
  return result.violations.map(
    (v) => `${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  )
}

/** Moderate and minor findings are kept for a person to read; these two fail a test. */
export const blocking = (problem: string) => /^(serious|critical) |^the page is wider/.test(problem)

export const DESKTOP = { width: 1200, height: 900 }
export const PHONE = { width: 375, height: 812 }

/** The page as it is now at `size` width: axe's violations, and at phone width whether it is wider than the screen. */
export async function problemsAt(page: Page, size: 'desktop' | 'phone'): Promise<string[]> {
  await page.setViewportSize(size === 'phone' ? PHONE : DESKTOP)
  const problems = await violations(page)
  if (size === 'phone' && !(await page.evaluate('document.documentElement.scrollWidth <= innerWidth')))
    problems.push('the page is wider than the screen')
  return problems
}
