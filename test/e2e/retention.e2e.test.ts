import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { buildTestApp, type TestApp } from '../support/app.js'
import { as, createOrg, createUser, type TestUser } from '../support/factories.js'
import { buildDashboard, chromiumAvailable, launchBrowser, signIn, type Browser } from './browser.js'

// The retention policy in the Settings tab (CONTRACT §15), as an owner edits it in a real browser.

let t: TestApp
let base: string
let browser: Browser

describe.skipIf(!chromiumAvailable())('retention in the dashboard', { timeout: 90_000 }, () => {
  beforeAll(async () => {
    buildDashboard()
    t = await buildTestApp()
    base = await t.app.listen({ port: 0, host: '127.0.0.1' })
    browser = await launchBrowser()
  })
  afterAll(async () => {
    await browser?.close()
    await t?.close()
  })

  const signedIn = (user: TestUser, path: string): Promise<Page> =>
    signIn(browser, `${base}${path}`, user.token)

  it('says what the policy will remove as it is typed, saves it, and refuses a negative value before sending it', async () => {
    const owner = await createUser(t, 'owner')
    const org = await createOrg(t, owner, { name: 'Kept Co' })
    const page = await signedIn(owner, `/workspaces/${org.id}/settings`)
    await page.getByText('Nothing is removed: builds and history are kept forever.').waitFor()

    await page.getByLabel('Remove builds older than (days)').fill('30')
    await page.getByLabel('But keep the newest builds of each app').fill('5')
    await page.getByLabel('Remove history older than (days)').fill('365')
    await page
      .getByText(
        'Removes builds older than 30 days, except the newest 5 of each app, and history events older than 365 days',
      )
      .waitFor()
    await page.getByRole('button', { name: 'Save retention' }).click()
    await page.getByText('Retention saved.').waitFor()
    const stored = await as(t, owner).get(`/v1/organizations/${org.id}`)
    expect(stored.body.data.retention).toEqual({ auditDays: 365, buildsDays: 30, buildsKeepLatest: 5 })
    // Shown again as saved.
    expect(await page.getByLabel('Remove history older than (days)').inputValue()).toBe('365')

    await page.getByLabel('Remove history older than (days)').fill('-1')
    await page.getByText('Each value is a whole number of 0 or more, or empty.').waitFor()
    // The browser itself refuses it (the field takes whole numbers from 0): nothing is sent.
    await page.getByRole('button', { name: 'Save retention' }).click()
    const field = page.getByLabel('Remove history older than (days)')
    expect(
      await field.evaluate((input) => (input as unknown as { validity: { valid: boolean } }).validity.valid),
    ).toBe(false)
    expect((await as(t, owner).get(`/v1/organizations/${org.id}`)).body.data.retention.auditDays).toBe(365)
    await page.close()
  })
})
