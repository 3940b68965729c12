import axe from 'axe-core'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { as, createOrg, createUser, type TestOrg, type TestUser } from '../support/factories.js'
import { purgeNow } from '../support/purge.js'
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

// What a new user trips over in the dashboard, in Chromium: words that agree with their numbers, sizes people
// read, a Delete that stays locked while something blocks it, what CI said about a build, deleted workspaces told
// apart from live ones, filters that survive a reload, and Escape to back out of a confirmation. Each state is
// also checked by axe at 1200 and at 375 pixels.

let t: TestApp
let base: string
let browser: Browser
let owner: TestUser
let page: Page
let org: TestOrg
let appId: string
let deletionId: string
let deletedSlug: string

/** No serious or critical axe finding, and nothing wider than the phone, at both widths. */
async function checkBothWidths(name: string): Promise<void> {
  for (const size of ['desktop', 'phone'] as const)
    expect((await problemsAt(page, size)).filter(blocking), `${name} at ${size} width`).toEqual([])
  await page.setViewportSize(DESKTOP)
}

async function open(path: string, ready: () => Promise<unknown>): Promise<void> {
  await page.goto(`${base}${path}`)
  await ready()
}

describe.skipIf(!chromiumAvailable())('the dashboard for a new user', { timeout: 90_000 }, () => {
  beforeAll(async () => {
    buildDashboard()
    t = await buildTestApp()
    base = await t.app.listen({ port: 0, host: '127.0.0.1' })
    browser = await launchBrowser()
    owner = await createUser(t, 'newcomer')
    const o = as(t, owner)

    // A workspace with one of each, a CI build, and an active subscription that blocks its deletion.
    org = await createOrg(t, owner, { name: 'Singular Co' })
    const at = `/v1/organizations/${org.id}`
    appId = (await o.post(`${at}/apps`, { name: 'Only App' })).body.data.id
    await o.post(`${at}/devices`, { platform: 'android', serialNumber: 'AND-1', name: 'Handheld' })
    await o.post(`${at}/devices`, { platform: 'apple', serialNumber: 'IOS-1', name: 'Reception iPad' })
    await o.post(`${at}/devices`, { platform: 'apple', serialNumber: 'IOS-2', name: 'Back office iPad' })
    await o.post(`${at}/subscriptions`, { plan: 'business' })
    const appToken = (await o.post(`${at}/apps/${appId}/tokens`, { name: 'bitrise' })).body.data.token
    const ci = await postForm(t, '/v1/integrations/builds', `Bearer ${appToken}`, [
      ['versionName', '2.4.0'],
      ['tags', 'beta, qa'],
      ['deployer.name', 'bitrise'],
      ['deployer.info.commit', 'abc1234'],
      ['deployer.info.branch', 'release/2.4'],
      ['deployer.info.buildNumber', '42'],
      ['build', randomFile(48 * 1024), 'only-app-2.4.0.apk'],
    ])
    expect(ci.status).toBe(200)

    // "Acme Mobile" deleted with 25 MB of builds, then a live workspace of the same name.
    const doomed = await createOrg(t, owner, { name: 'Acme Mobile' })
    deletedSlug = doomed.slug
    const doomedApp = (await o.post(`/v1/organizations/${doomed.id}/apps`, { name: 'Big' })).body.data.id
    const big = await postForm(
      t,
      `/v1/organizations/${doomed.id}/apps/${doomedApp}/builds`,
      `Bearer ${owner.token}`,
      [['file', randomFile(25 * 1024 * 1024), 'big.apk']],
    )
    expect(big.status).toBe(200)
    deletionId = (await o.delete(`/v1/organizations/${doomed.id}`)).body.data.deletionId
    await purgeNow(t.db)
    await createOrg(t, owner, { name: 'Acme Mobile', slug: 'acme-mobile-2' })

    page = await signIn(browser, `${base}/`, owner.token)
    await page.addInitScript({ content: axe.source })
  })
  afterAll(async () => {
    await browser?.close()
    await t?.close()
  })

  it('says 1 app, 3 devices and 1 collaborator, not "1 apps"', async () => {
    await open(`/workspaces/${org.id}`, () =>
      page.getByRole('heading', { name: 'Singular Co', level: 1 }).waitFor(),
    )
    const counts = page.getByRole('list', { name: 'Counts' })
    await counts.locator('li').first().waitFor()
    expect(await counts.locator('li').allTextContents()).toEqual(['1 app', '3 devices', '1 collaborator'])
    await checkBothWidths('overview')
  })

  it('keeps Delete locked while a blocker is listed, says why, and unlocks once it is resolved', async () => {
    await open(`/workspaces/${org.id}/danger`, () =>
      page.getByText('The business subscription is active').waitFor(),
    )
    // The preview's size of the builds in human units.
    const stored = page.getByRole('list', { name: 'What will be removed' }).locator('[data-resource="bytes"]')
    expect(await stored.textContent()).toBe('Stored build files48 KB')

    const remove = page.getByRole('button', { name: /^Delete Singular Co/ })
    await page.getByLabel('To confirm, type the slug').fill(org.slug)
    expect(await remove.isDisabled()).toBe(true)
    await page.getByText('Deletion is locked while something above blocks it').waitFor()
    await checkBothWidths('danger zone, locked')

    // Escape backs out of the cancellation: nothing is cancelled, the button is back and has the focus.
    const cancel = page.getByRole('button', { name: 'Cancel business subscription…' })
    await cancel.click()
    await page.getByRole('button', { name: 'Yes, cancel the subscription' }).waitFor()
    await page.keyboard.press('Escape')
    expect(await page.getByRole('group', { name: 'Confirm cancellation' }).count()).toBe(0)
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Cancel business subscription…')
    const subscriptions = await as(t, owner).get(`/v1/organizations/${org.id}/subscriptions`)
    expect(subscriptions.body.data.items.map((s: { status: string }) => s.status)).toEqual(['active'])

    await cancel.click()
    await page.getByRole('button', { name: 'Yes, cancel the subscription' }).click()
    await page.getByText('Nothing: the workspace can be deleted.').waitFor()
    expect(await remove.isEnabled()).toBe(true)
    await page.getByText('The button unlocks when the slug matches exactly.').waitFor()
  })

  it('shows what CI said about a build: deployer, commit, branch, build number and tags', async () => {
    await open(`/workspaces/${org.id}/apps/${appId}`, () =>
      page.getByText('1 build', { exact: true }).waitFor(),
    )
    const row = page.locator('[data-build]').first()
    const ci = row.locator('.ci')
    expect(await ci.textContent()).toBe(
      'From bitrise · commit abc1234 · branch release/2.4 · build 42 · betaqa',
    )
    expect(await ci.getByRole('list', { name: 'Tags' }).locator('li').allTextContents()).toEqual([
      'beta',
      'qa',
    ])
    expect(await row.textContent()).toContain('48 KB')
    await checkBothWidths('app with a CI build')
  })

  it('Escape cancels the confirmation of a build deletion, which is then not deleted', async () => {
    await open(`/workspaces/${org.id}/apps/${appId}`, () =>
      page.getByText('1 build', { exact: true }).waitFor(),
    )
    const trigger = page.getByRole('button', { name: /^Delete only-app-2\.4\.0\.apk/ })
    await trigger.click()
    await page.getByRole('button', { name: 'Yes, delete only-app-2.4.0.apk' }).waitFor()
    await page.keyboard.press('Escape')
    await trigger.waitFor()
    expect(await page.getByRole('button', { name: 'Yes, delete only-app-2.4.0.apk' }).count()).toBe(0)
    expect(
      (await as(t, owner).get(`/v1/organizations/${org.id}/apps/${appId}/builds`)).body.data.totalDocs,
    ).toBe(1)
  })

  it('lists a deleted workspace with its slug and when, apart from the live one of the same name', async () => {
    await open('/', () => page.getByRole('heading', { name: 'Deletions you requested' }).waitFor())
    const item = page.locator(`[data-deletion="${deletionId}"]`)
    const text = await item.textContent()
    expect(text).toContain('Acme Mobile')
    expect(text).toContain(deletedSlug)
    expect(text).toMatch(/deleted .+, erased /)
    expect(await item.locator('time').count()).toBe(2)
    // The live one is listed with its own slug.
    await page.getByRole('list', { name: 'Workspaces' }).getByText('acme-mobile-2').waitFor()
    await checkBothWidths('workspaces with a deletion')
  })

  it('shows the receipt in human units: 25 MB of stored builds, not 26214400', async () => {
    await open(`/deletions/${deletionId}`, () => page.locator('[data-status="completed"]').waitFor())
    const stored = page.getByRole('list', { name: 'Removed records' }).locator('[data-resource="bytes"]')
    expect(await stored.textContent()).toBe('Stored build files25 MB')
    expect(await page.locator('main').textContent()).not.toContain('26214400')
    await checkBothWidths('receipt')
  })

  it('keeps filters in the address: a reload shows the same filtered list', async () => {
    await open(`/workspaces/${org.id}/devices`, () => page.getByText('3 devices', { exact: true }).waitFor())
    await page.getByLabel('Show platform').selectOption('apple')
    await page.getByText('2 devices', { exact: true }).waitFor()
    expect(new URL(page.url()).searchParams.get('platform')).toBe('apple')
    await page.reload()
    await page.getByText('2 devices', { exact: true }).waitFor()
    expect(await page.getByLabel('Show platform').inputValue()).toBe('apple')
    await checkBothWidths('devices filtered')

    await open(`/workspaces/${org.id}/history`, () =>
      page.getByRole('list', { name: 'History' }).locator('li').first().waitFor(),
    )
    await page.getByLabel('Action').selectOption('device.enroll')
    await page.getByText('Showing 3 of 3 events.').waitFor()
    expect(new URL(page.url()).searchParams.get('action')).toBe('device.enroll')
    await page.reload()
    await page.getByText('Showing 3 of 3 events.').waitFor()
    expect(await page.getByLabel('Action').inputValue()).toBe('device.enroll')

    await open(`/workspaces/${org.id}/apps?q=only`, () => page.getByText('1 app', { exact: true }).waitFor())
    expect(await page.getByLabel('Search by name').inputValue()).toBe('only')
  })
})
