import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { as, createOrg, createUser, type TestUser } from '../support/factories.js'
import { ManualClock } from '../support/clock.js'
import { applyRetention } from '../../src/retention/step.js'
import { buildDashboard, chromiumAvailable, launchBrowser, signIn, type Browser } from './browser.js'

// The workspace's history as a person reads it: sentences built from what each change recorded, narrowed by
// action and date, a page at a time. The changes are made through the API; the expected sentences are written
// here from the names the test gave.

let t: TestApp
let base: string
let browser: Browser

describe.skipIf(!chromiumAvailable())('history in the dashboard', { timeout: 90_000 }, () => {
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

  const entries = (page: Page) => page.getByRole('list', { name: 'History' }).getByRole('listitem')

  it('tells who changed what in sentences, and narrows them by action and date', async () => {
    const ana = await createUser(t, 'ana')
    await t.db.updateTable('users').set({ name: 'Ana' }).where('id', '=', ana.id).execute()
    const org = await createOrg(t, ana, { name: 'History Corp' })
    const api = as(t, ana)
    const o = `/v1/organizations/${org.id}`
    const bob = await api.post(`${o}/collaborators`, {
      email: 'bob@example.test',
      name: 'Bob',
      role: 'admin',
    })
    expect(bob.status).toBe(200)
    expect((await api.put(`${o}/collaborators/${bob.body.data.id}`, { role: 'viewer' })).status).toBe(200)
    expect((await api.post(`${o}/devices`, { platform: 'android', serialNumber: 'SN-123' })).status).toBe(200)
    for (let i = 0; i < 30; i++) expect((await api.post(`${o}/apps`, { name: `App ${i}` })).status).toBe(200)

    const page = await signedIn(ana, `/workspaces/${org.id}`)
    // The overview's recent history reads as sentences too, and leads to the whole history.
    await page.getByText('Ana created app App 29').first().waitFor()
    await page.getByRole('link', { name: 'Filter the whole history' }).click()
    await page.getByRole('heading', { name: 'History', exact: true }).waitFor()
    expect(page.url()).toBe(`${base}/workspaces/${org.id}/history`)
    await page.getByText('Showing 25 of 34 events.').waitFor()
    expect(await entries(page).count()).toBe(25)

    // The rest comes with "Load more", after what is shown, then the button goes.
    await page.getByRole('button', { name: 'Load more' }).click()
    await page.getByText('Showing 34 of 34 events.').waitFor()
    expect(await entries(page).count()).toBe(34)
    expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0)
    const texts = await page.locator('.history-text').allTextContents()
    expect(texts).toContain("Ana changed Bob's role from admin to viewer")
    expect(texts).toContain('Ana enrolled device SN-123 (android)')
    expect(texts).toContain('Ana invited Bob as admin')
    expect(texts.at(-1)).toBe('Ana created the workspace History Corp')
    expect(texts.join('\n')).not.toMatch(/[a-f0-9]{24}/)

    // One kind of action: only the collaborators' events are left.
    await page.getByLabel('Action').selectOption('collaborator.')
    await page.getByText('Showing 2 of 2 events.').waitFor()
    expect(await page.locator('.history-text').allTextContents()).toEqual([
      "Ana changed Bob's role from admin to viewer",
      'Ana invited Bob as admin',
    ])
    await page.getByLabel('Action').selectOption('device.enroll')
    await page.getByText('Showing 1 of 1 event.').waitFor()
    expect(await page.locator('.history-text').allTextContents()).toEqual([
      'Ana enrolled device SN-123 (android)',
    ])

    // Dates: a day in the past has nothing; a "To" before the "From" is said plainly, without asking the server.
    await page.getByLabel('Action').selectOption('')
    await page.getByLabel('From', { exact: true }).fill('2020-01-01')
    await page.getByLabel('To', { exact: true }).fill('2020-01-02')
    await page.getByRole('button', { name: 'Apply filters' }).click()
    await page.getByText('Nothing recorded matches these filters.').waitFor()
    expect(await entries(page).count()).toBe(0)
    await page.getByLabel('From', { exact: true }).fill('2020-01-03')
    await page.getByRole('button', { name: 'Apply filters' }).click()
    await page.getByRole('alert').getByText('The “To” date is before the “From” date.').waitFor()
    // Up to today: everything again.
    const today = await page.evaluate(() => new Date().toLocaleDateString('sv'))
    await page.getByLabel('From', { exact: true }).fill('')
    await page.getByLabel('To', { exact: true }).fill(today)
    await page.getByRole('button', { name: 'Apply filters' }).click()
    await page.getByText('Showing 25 of 34 events.').waitFor()
    await page.close()
  })

  it('answers /workspaces with the list, and refuses a workspace named only spaces in plain words', async () => {
    const cleo = await createUser(t, 'cleo')
    const page = await signedIn(cleo, '/workspaces')
    await page.getByRole('heading', { name: 'Workspaces' }).waitFor()
    await page.getByLabel('Name', { exact: true }).fill('    ')
    await page.getByRole('button', { name: 'Create workspace' }).click()
    const alert = page.getByRole('alert')
    await alert.waitFor()
    expect(await alert.textContent()).toContain('Could not create the workspace: Validation Error')
    expect(await alert.textContent()).toContain('name: must not be blank')
    expect((await as(t, cleo).get('/v1/organizations')).body.data.totalDocs).toBe(0)
    await page.close()
  })

  it('is offered only to roles that may read the history', async () => {
    const owner = await createUser(t, 'owner')
    const org = await createOrg(t, owner, { name: 'Viewer Corp' })
    const viewer = await createUser(t, 'viewer')
    expect(
      (
        await as(t, owner).post(`/v1/organizations/${org.id}/collaborators`, {
          email: viewer.email,
          role: 'viewer',
        })
      ).status,
    ).toBe(200)
    const page = await signedIn(viewer, `/workspaces/${org.id}/history`)
    await page.getByText('Your role (viewer) cannot open that section.').waitFor()
    expect(await page.getByRole('link', { name: 'History', exact: true }).count()).toBe(0)
    await page.close()
  })

  it('Settings says what the retention policy will remove as it is typed, saves it, refuses a negative value; a run reads as one sentence', async () => {
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

    // A run of the policy, a year and a month on, reads as one sentence in the history.
    const clock = new ManualClock()
    clock.advance(400 * 86_400_000)
    await applyRetention(t.db, clock, org.id, { targetMs: 10 })
    await page.goto(`${base}/workspaces/${org.id}/history`)
    await page.getByText(/^Retention removed \d+ history events older than 365 days$/).waitFor()
    await page.close()
  })
})
