import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { addMember, as, createOrg, createUser, type TestUser } from '../support/factories.js'
import { buildDashboard, chromiumAvailable, launchBrowser, signIn, type Browser } from './browser.js'

// Issue 21, item 5, in the dashboard: before someone is removed or made a viewer, it says how many of their CI
// tokens will stop working; the token list says whom each token acts for.

let t: TestApp
let base: string
let browser: Browser
let owner: TestUser
let page: Page

describe.skipIf(!chromiumAvailable())('CI tokens and the people they act for', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    buildDashboard()
    t = await buildTestApp()
    base = await t.app.listen({ port: 0, host: '127.0.0.1' })
    browser = await launchBrowser()
    owner = await createUser(t, 'owner')
    page = await signIn(browser, `${base}/`, owner.token)
  })
  afterAll(async () => {
    await browser?.close()
    await t?.close()
  })

  it('says how many CI tokens stop working before a demotion or a removal', async () => {
    const org = await createOrg(t, owner, { name: 'Token Co' })
    const editor = await addMember(t, owner, org, 'editor')
    const app = (await as(t, owner).post(`/v1/organizations/${org.id}/apps`, { name: 'Pipeline' })).body.data
    for (const name of ['fastlane', 'gradle'])
      await as(t, editor).post(`/v1/organizations/${org.id}/apps/${app.id}/tokens`, { name })

    await page.goto(`${base}/workspaces/${org.id}`)
    await page.getByRole('heading', { name: 'Token Co', level: 1 }).waitFor()
    await page
      .getByRole('navigation', { name: 'Workspace sections' })
      .getByRole('link', { name: 'Collaborators' })
      .click()
    const row = page.getByRole('list', { name: 'Collaborators' }).locator('li', { hasText: editor.email })
    await row.waitFor()

    await row.getByLabel(`Role of ${editor.email}`).selectOption('viewer')
    await row.getByText('As a viewer, 2 CI tokens they created will stop working').waitFor()
    await row.getByLabel(`Role of ${editor.email}`).selectOption('admin')
    expect(await row.getByText('CI tokens they created').count()).toBe(0)

    await row.getByRole('button', { name: 'Remove…' }).click()
    await row.getByText(/2 CI tokens they created will stop working/).waitFor()
  })
})
