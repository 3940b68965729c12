import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import axe from 'axe-core'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { addMember, as, createOrg, createUser, type TestOrg, type TestUser } from '../support/factories.js'
import { postForm, randomFile } from '../support/uploads.js'
import {
  blocking,
  buildDashboard,
  chromiumAvailable,
  launchBrowser,
  DESKTOP,
  problemsAt,
  signIn,
  type Browser,
} from './browser.js'

// Every page of the dashboard, seeded through the API: checked by axe at desktop width and at 375 px (no serious or
// critical violation, nothing wider than the phone), photographed into test-results/screenshots/, and seen by a
// viewer, who must be offered no control their role cannot use. UPDATE_SCREENSHOTS=1 also refreshes the README's.

const SHOTS = join('test-results', 'screenshots')
const README_SHOTS: Record<string, string> = {
  collaborators: 'dashboard-collaborators.png',
  app: 'dashboard-app-builds.png',
  'token-created': 'dashboard-tokens.png',
  'devices-phone': 'dashboard-devices-phone.png',
}

let t: TestApp
let base: string
let browser: Browser
let owner: TestUser
let viewer: TestUser
let org: TestOrg
let appId: string
let deletionId: string

interface Screen {
  name: string
  path: () => string
  /** Something on the page once it has loaded what it shows. */
  ready: (page: Page) => Promise<void>
}

const heading = (page: Page, name: string) => page.getByRole('heading', { name, level: 1 }).waitFor()

const SCREENS: Screen[] = [
  {
    name: 'workspaces',
    path: () => '/',
    ready: (p) => p.getByRole('list', { name: 'Workspaces' }).getByText('Northwind Mobile').waitFor(),
  },
  {
    name: 'overview',
    path: () => `/workspaces/${org.id}`,
    ready: (p) => p.getByRole('list', { name: 'Recent history' }).locator('li').first().waitFor(),
  },
  {
    name: 'collaborators',
    path: () => `/workspaces/${org.id}/collaborators`,
    ready: (p) => p.getByText('4 collaborators', { exact: true }).waitFor(),
  },
  {
    name: 'apps',
    path: () => `/workspaces/${org.id}/apps`,
    ready: (p) => p.getByText('2 apps', { exact: true }).waitFor(),
  },
  {
    name: 'app',
    path: () => `/workspaces/${org.id}/apps/${appId}`,
    ready: (p) => p.getByText('1 build', { exact: true }).waitFor(),
  },
  {
    name: 'devices',
    path: () => `/workspaces/${org.id}/devices`,
    ready: (p) => p.getByText('3 devices', { exact: true }).waitFor(),
  },
  {
    name: 'subscriptions',
    path: () => `/workspaces/${org.id}/subscriptions`,
    ready: (p) => p.getByText('2 subscriptions', { exact: true }).waitFor(),
  },
  {
    name: 'history',
    path: () => `/workspaces/${org.id}/history`,
    ready: (p) => p.getByRole('list', { name: 'History' }).locator('li').first().waitFor(),
  },
  {
    name: 'settings',
    path: () => `/workspaces/${org.id}/settings`,
    ready: (p) => p.getByText('No webhook endpoints.').waitFor(),
  },
  {
    name: 'danger',
    path: () => `/workspaces/${org.id}/danger`,
    ready: (p) => p.getByText('The business subscription is active').waitFor(),
  },
  {
    name: 'tokens',
    path: () => '/account/tokens',
    ready: (p) => p.getByText('3 tokens', { exact: true }).waitFor(),
  },
  {
    name: 'receipt',
    path: () => `/deletions/${deletionId}`,
    ready: (p) => p.locator('[data-status]').first().waitFor(),
  },
  { name: 'not-found', path: () => '/no/such/page', ready: (p) => heading(p, 'Page not found') },
]

const signedIn = (user: TestUser): Promise<Page> => signIn(browser, `${base}/`, user.token)

describe.skipIf(!chromiumAvailable())('every dashboard page', { timeout: 90_000 }, () => {
  beforeAll(async () => {
    buildDashboard()
    t = await buildTestApp()
    base = await t.app.listen({ port: 0, host: '127.0.0.1' })
    browser = await launchBrowser()
    mkdirSync(SHOTS, { recursive: true })

    // A workspace with some of everything, made through the API.
    owner = await createUser(t, 'maria.gonzalez')
    org = await createOrg(t, owner, { name: 'Northwind Mobile' })
    const o = as(t, owner)
    const at = `/v1/organizations/${org.id}`
    await addMember(t, owner, org, 'admin')
    await addMember(t, owner, org, 'editor')
    viewer = await addMember(t, owner, org, 'viewer')
    const app = await o.post(`${at}/apps`, {
      name: 'Field Scanner',
      description: 'Scans barcodes on the floor',
    })
    appId = app.body.data.id
    await o.post(`${at}/apps`, { name: 'Driver Companion' })
    const upload = await postForm(t, `${at}/apps/${appId}/builds`, `Bearer ${owner.token}`, [
      ['versionName', '2.3.0'],
      ['versionCode', '230'],
      ['changelog', 'Scans in low light'],
      ['file', randomFile(48 * 1024), 'field-scanner-2.3.0.apk'],
    ])
    expect(upload.status).toBe(200)
    for (const [platform, serialNumber, name] of [
      ['android', 'R58M123ABC', 'Warehouse handheld 1'],
      ['apple', 'F9GZK2PLQ1', 'Reception iPad'],
      ['windows', '5CG1234XYZ', ''],
    ])
      await o.post(`${at}/devices`, { platform, serialNumber, ...(name ? { name } : {}) })
    const trial = await o.post(`${at}/subscriptions`, { plan: 'starter' })
    await o.post(`${at}/subscriptions/${trial.body.data.id}/cancel`)
    await o.post(`${at}/subscriptions`, { plan: 'business' })
    await o.post('/v1/users/me/tokens', { name: 'CI on main', expiresInDays: 90 })
    await o.post('/v1/users/me/tokens', { name: 'Release script', expiresInDays: 3 })
    const doomed = await createOrg(t, owner, { name: 'Old Pilot' })
    deletionId = (await o.delete(`/v1/organizations/${doomed.id}`)).body.data.deletionId
  })
  afterAll(async () => {
    await browser?.close()
    await t?.close()
  })

  describe('at desktop width and at 375 px: no serious or critical axe violation, nothing wider than a phone', () => {
    let page: Page
    const found: Record<string, string[]> = {}
    beforeAll(async () => {
      page = await browser.context.newPage()
      await page.addInitScript({ content: axe.source })
    })
    afterAll(async () => {
      await page?.close()
      writeFileSync(join(SHOTS, 'axe.json'), `${JSON.stringify(found, null, 2)}\n`)
      if (process.env.UPDATE_SCREENSHOTS === '1')
        for (const [shot, target] of Object.entries(README_SHOTS))
          copyFileSync(join(SHOTS, `${shot}.png`), join('docs', target))
    })

    /** Checks and photographs the page as it is now, at both widths. */
    async function check(name: string): Promise<void> {
      for (const size of ['desktop', 'phone'] as const) {
        const problems = await problemsAt(page, size)
        found[`${name} (${size})`] = problems
        await page.screenshot({
          path: join(SHOTS, size === 'phone' ? `${name}-phone.png` : `${name}.png`),
          fullPage: true,
        })
        expect(problems.filter(blocking), `${name} at ${size} width`).toEqual([])
      }
      await page.setViewportSize(DESKTOP)
    }

    it('sign-in', async () => {
      await page.goto(`${base}/`)
      await heading(page, 'Sign in to orgspace')
      await check('sign-in')
      await page.getByLabel('API token').fill(owner.token)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.getByRole('button', { name: 'Sign out' }).waitFor()
    })

    it.each(SCREENS)('$name', async (screen) => {
      await page.goto(`${base}${screen.path()}`)
      await screen.ready(page)
      await check(screen.name)
    })

    it('danger zone with the slug typed halfway (its Delete button disabled)', async () => {
      await page.goto(`${base}/workspaces/${org.id}/danger`)
      await page.getByText('The business subscription is active').waitFor()
      await page.getByLabel('To confirm, type the slug').fill(org.slug.slice(0, 4))
      expect(await page.getByRole('button', { name: /^Delete Northwind Mobile/ }).isDisabled()).toBe(true)
      await check('danger-typing')
    })

    it('a token just created, shown once', async () => {
      await page.goto(`${base}/account/tokens`)
      await page.getByLabel('Name', { exact: true }).fill('Laptop')
      await page.getByRole('button', { name: 'Create token' }).click()
      await page.getByRole('button', { name: 'Copy token' }).waitFor()
      await check('token-created')
    })
  })

  it('offers a viewer no control their role cannot use', async () => {
    const page = await signedIn(viewer)
    const panelButtons = () => page.locator('.panel button').allTextContents()
    const tabs = page.getByRole('navigation', { name: 'Workspace sections' })

    await page.goto(`${base}/workspaces/${org.id}/collaborators`)
    await page.getByText('4 collaborators', { exact: true }).waitFor()
    expect(await tabs.getByRole('link').allTextContents()).toEqual([
      'Overview',
      'Collaborators',
      'Apps',
      'Devices',
    ])
    expect(await page.locator('.panel select').count()).toBe(1) // the role filter, nothing to change
    expect(await panelButtons()).toEqual([])
    expect(await page.getByRole('heading', { name: 'Add a collaborator' }).count()).toBe(0)

    await page.goto(`${base}/workspaces/${org.id}/apps`)
    await page.getByText('2 apps', { exact: true }).waitFor()
    expect(await panelButtons()).toEqual([])
    expect(await page.getByRole('heading', { name: 'New app' }).count()).toBe(0)

    // Builds can be downloaded by every role; nothing else is offered.
    await page.getByRole('link', { name: 'Field Scanner' }).click()
    await page.getByText('1 build', { exact: true }).waitFor()
    expect(await panelButtons()).toEqual(['Download field-scanner-2.3.0.apk'])
    for (const name of ['Upload a build', 'Name, slug and description', 'Delete this app'])
      expect(await page.getByRole('heading', { name }).count()).toBe(0)

    await page.goto(`${base}/workspaces/${org.id}/devices`)
    await page.getByText('3 devices', { exact: true }).waitFor()
    expect(await panelButtons()).toEqual([])
    expect(await page.getByRole('heading', { name: 'Enroll a device' }).count()).toBe(0)

    // Billing is the owner's: the address of the tab leads to the overview, with why.
    await page.goto(`${base}/workspaces/${org.id}/subscriptions`)
    await page.getByText('Your role (viewer) cannot open that section.').waitFor()
    expect(await page.getByRole('list', { name: 'Subscriptions' }).getByText('business').count()).toBe(1)
    await page.close()
  })
})
