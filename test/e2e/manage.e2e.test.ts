import { createHash, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { addMember, as, createOrg, createUser, type TestUser } from '../support/factories.js'
import { buildDashboard, chromiumAvailable, launchBrowser, signIn, type Browser } from './browser.js'

// Managing a workspace without curl: one journey per resource (create → see → change → remove) as its owner, in
// one browser tab signed in once. What the page shows is checked against what the API then answers.

let t: TestApp
let base: string
let browser: Browser
let owner: TestUser
let page: Page

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')

describe.skipIf(!chromiumAvailable())('managing a workspace in the dashboard', { timeout: 60_000 }, () => {
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

  /** Opens a dashboard path in the signed-in tab (the token stays in the tab's session storage). */
  async function open(path: string, heading: string): Promise<void> {
    await page.goto(`${base}${path}`)
    await page.getByRole('heading', { name: heading, level: 1 }).waitFor()
  }

  it('invites a collaborator, changes their role, removes one and hands the workspace over', async () => {
    const org = await createOrg(t, owner, { name: 'People Co' })
    const existing = await addMember(t, owner, org, 'viewer')
    await open(`/workspaces/${org.id}`, 'People Co')
    await page
      .getByRole('navigation', { name: 'Workspace sections' })
      .getByRole('link', { name: 'Collaborators' })
      .click()
    const list = page.getByRole('list', { name: 'Collaborators' })
    await list.getByText(existing.email).waitFor()

    // Invite someone new to orgspace, as an editor.
    const email = `ana-${randomBytes(3).toString('hex')}@example.test`
    await page.getByLabel('Email', { exact: true }).fill(email)
    await page.getByLabel('Name', { exact: true }).fill('Ana')
    await page.getByLabel('Role', { exact: true }).selectOption('editor')
    await page.getByRole('button', { name: 'Add collaborator' }).click()
    await page.getByText(`${email} was added as editor.`).waitFor()
    const row = list.locator('li', { hasText: email })
    await row.locator('.badge', { hasText: 'editor' }).waitFor()

    // The same person again: refused, in plain words, with what to do instead.
    await page.getByLabel('Email', { exact: true }).fill(email)
    await page.getByRole('button', { name: 'Add collaborator' }).click()
    const refusal = page.getByRole('alert')
    await refusal.waitFor()
    expect(await refusal.textContent()).toContain('already a collaborator')
    expect(await refusal.textContent()).toContain('change their role in the list instead')

    // Search by email narrows the list.
    await page.getByLabel('Search by email').fill(email.slice(0, 10))
    await page.getByText('1 collaborator', { exact: true }).waitFor()
    await page.getByLabel('Search by email').fill('')
    await page.getByText('3 collaborators', { exact: true }).waitFor()

    // editor → admin.
    await row.getByLabel(`Role of ${email}`).selectOption('admin')
    await row.getByRole('button', { name: 'Change role' }).click()
    await list.locator('li', { hasText: email }).locator('.badge', { hasText: 'admin' }).waitFor()
    const listed = await as(t, owner).get(`/v1/organizations/${org.id}/collaborators?email=${email}`)
    expect(listed.body.data.items).toEqual([expect.objectContaining({ role: 'admin' })])

    // Remove the viewer, after a confirmation.
    const viewerRow = list.locator('li', { hasText: existing.email })
    await viewerRow.getByRole('button', { name: 'Remove…' }).click()
    await page.getByRole('button', { name: `Yes, remove ${existing.email}` }).click()
    await page.getByText('2 collaborators', { exact: true }).waitFor()
    expect(await list.getByText(existing.email).count()).toBe(0)

    // Hand the workspace to Ana: the owner becomes an admin and loses the owner-only controls.
    await list.locator('li', { hasText: email }).getByRole('button', { name: 'Make owner…' }).click()
    await page.getByRole('button', { name: `Yes, make ${email} the owner` }).click()
    await page.getByText(`${email} now owns People Co; you are an admin.`).waitFor()
    await list.getByText(email).waitFor()
    expect(await page.getByRole('button', { name: 'Make owner…' }).count()).toBe(0)
    const after = await as(t, owner).get(`/v1/organizations/${org.id}`)
    expect(after.body.data).toMatchObject({ role: 'admin', owner: { email } })
  })

  it('creates an app, uploads a build with its progress, downloads it, gives CI a token, edits and deletes the app', async () => {
    const org = await createOrg(t, owner, { name: 'App Factory' })
    await open(`/workspaces/${org.id}/apps`, 'App Factory')
    await page.getByText('No apps yet.').waitFor()
    await page.getByLabel('Name', { exact: true }).fill('Field Scanner')
    await page.getByLabel('Description').fill('Scans barcodes in the warehouse')
    await page.getByRole('button', { name: 'Create app' }).click()
    await page.getByText('Field Scanner was created.').waitFor()
    await page.getByRole('heading', { name: 'Field Scanner' }).waitFor()
    await page.getByText('No builds uploaded yet.').waitFor()

    // A megabyte, so the upload reports progress before it completes.
    const bytes = randomBytes(1024 * 1024)
    const seen: string[] = []
    await page.exposeFunction('reportProgress', (text: string) => void seen.push(text))
    // A string: the test is compiled without the DOM's types.
    await page.evaluate(`{
      const status = document.querySelector('.upload-progress [aria-live]')
      new MutationObserver(() => window.reportProgress(status.textContent)).observe(status, {
        childList: true,
        characterData: true,
        subtree: true,
      })
    }`)
    await page.getByLabel('Build file').setInputFiles({
      name: 'scanner-1.4.0.apk',
      mimeType: 'application/vnd.android.package-archive',
      buffer: bytes,
    })
    await page.getByLabel('Version name').fill('1.4.0')
    await page.getByLabel('Version code').fill('140')
    await page.getByLabel('Changelog').fill('Faster scanning')
    await page.getByRole('button', { name: 'Upload build' }).click()
    await page.getByText('scanner-1.4.0.apk (1.0 MB) was uploaded.').waitFor()
    await expect.poll(() => seen.at(-1)).toBe('100% — 1.0 MB of 1.0 MB')
    const builds = page.getByRole('list', { name: 'Builds' })
    const row = builds.locator('li', { hasText: 'scanner-1.4.0.apk' })
    await row.getByText('1.4.0 (140)').waitFor()
    await row.getByText('Faster scanning').waitFor()
    const stored = await as(t, owner).get(`/v1/organizations/${org.id}/apps/field-scanner/builds`)
    expect(stored.body.data.items).toEqual([
      expect.objectContaining({ fileName: 'scanner-1.4.0.apk', sha256: sha256(bytes), size: bytes.length }),
    ])

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      row.getByRole('button', { name: 'Download scanner-1.4.0.apk' }).click(),
    ])
    expect(download.suggestedFilename()).toBe('scanner-1.4.0.apk')
    expect(sha256(readFileSync(await download.path()))).toBe(sha256(bytes))

    // A CI token for this app, shown once: it lists the app's builds on the integration route, until revoked.
    await page.getByLabel('Token name').fill('GitHub Actions release')
    await page.getByRole('button', { name: 'Create CI token' }).click()
    const ciToken = await page.getByLabel('Value of the token GitHub Actions release').inputValue()
    const integration = () =>
      t.app.inject({ url: '/v1/integrations/builds', headers: { authorization: `bearer ${ciToken}` } })
    expect((await integration()).json().data.items).toEqual([
      expect.objectContaining({ fileName: 'scanner-1.4.0.apk' }),
    ])
    const tokens = page.getByRole('list', { name: 'CI upload tokens' })
    await tokens.getByRole('button', { name: /^Revoke GitHub Actions release/ }).click()
    await page.getByRole('button', { name: 'Yes, revoke GitHub Actions release' }).click()
    await page.getByText('No CI tokens for this app.').waitFor()
    expect((await integration()).statusCode).toBe(401)

    await row.getByRole('button', { name: /^Delete scanner-1\.4\.0\.apk/ }).click()
    await page.getByRole('button', { name: 'Yes, delete scanner-1.4.0.apk' }).click()
    await page.getByText('No builds uploaded yet.').waitFor()

    // Edit: a slug another app holds is refused with what to do; a free one is saved.
    await as(t, owner).post(`/v1/organizations/${org.id}/apps`, { name: 'Taken', slug: 'taken-slug' })
    await page.getByLabel('Slug', { exact: true }).fill('taken-slug')
    await page.getByRole('button', { name: 'Save app' }).click()
    const refusal = page.getByRole('alert')
    await refusal.waitFor()
    expect(await refusal.textContent()).toContain('choose another one')
    await page.getByLabel('Slug', { exact: true }).fill('scanner')
    await page.getByLabel('Name', { exact: true }).fill('Scanner')
    await page.getByRole('button', { name: 'Save app' }).click()
    await page.getByText('Scanner was saved.').waitFor()
    await page.getByRole('heading', { name: 'Scanner scanner' }).waitFor()

    await page.getByRole('button', { name: 'Delete Scanner…' }).click()
    await page.getByRole('button', { name: 'Yes, delete Scanner' }).click()
    await page.getByText('Scanner and its builds were deleted.').waitFor()
    const apps = page.getByRole('list', { name: 'Apps' })
    await apps.getByRole('link', { name: 'Taken' }).waitFor()
    expect(await apps.getByRole('link', { name: 'Scanner' }).count()).toBe(0)
    expect((await as(t, owner).get(`/v1/organizations/${org.id}/apps/scanner`)).status).toBe(404)
  })

  it('enrolls devices, filters them by platform, pages through them and unenrolls one', async () => {
    const org = await createOrg(t, owner, { name: 'Fleet Works' })
    for (let i = 0; i < 20; i++)
      await as(t, owner).post(`/v1/organizations/${org.id}/devices`, {
        platform: 'android',
        serialNumber: `AND-${String(i).padStart(2, '0')}`,
      })
    await open(`/workspaces/${org.id}/devices`, 'Fleet Works')
    await page.getByText('20 devices', { exact: true }).waitFor()

    await page.getByLabel('Platform', { exact: true }).selectOption('apple')
    await page.getByLabel('Serial number').fill('C02-XYZ-1')
    await page.getByLabel('Name', { exact: true }).fill('Reception iPad')
    await page.getByRole('button', { name: 'Enroll device' }).click()
    await page.getByText('C02-XYZ-1 is enrolled.').waitFor()
    await page.getByText('21 devices', { exact: true }).waitFor()
    await page.getByText('Page 1 of 2 (21 in all)').waitFor()
    await page.getByRole('button', { name: 'Next' }).click()
    await page.getByText('Page 2 of 2 (21 in all)').waitFor()

    // The same serial number again: refused with what to do.
    await page.getByLabel('Serial number').fill('C02-XYZ-1')
    await page.getByRole('button', { name: 'Enroll device' }).click()
    expect(await page.getByRole('alert').textContent()).toContain('already enrolled here')

    await page.getByLabel('Show platform').selectOption('apple')
    await page.getByText('1 device', { exact: true }).waitFor()
    const list = page.getByRole('list', { name: 'Devices' })
    const row = list.locator('li', { hasText: 'Reception iPad' })
    await row.getByText('C02-XYZ-1').waitFor()
    await row.getByRole('button', { name: 'Unenroll…' }).click()
    await page.getByRole('button', { name: 'Yes, unenroll C02-XYZ-1' }).click()
    await page.getByText('No Apple device is enrolled.').waitFor()
    const left = await as(t, owner).get(`/v1/organizations/${org.id}/devices?platform=apple`)
    expect(left.body.data.totalDocs).toBe(0)
  })

  it('starts a subscription and cancels it', async () => {
    const org = await createOrg(t, owner, { name: 'Billing Ltd' })
    await open(`/workspaces/${org.id}/subscriptions`, 'Billing Ltd')
    await page.getByText('No subscriptions.').waitFor()
    await page.getByLabel('Plan').fill('business')
    await page.getByRole('button', { name: 'Start subscription' }).click()
    await page.getByText('The business subscription is active.').waitFor()
    const row = page.getByRole('list', { name: 'Subscriptions' }).locator('li', { hasText: 'business' })
    await row.getByText('active').waitFor()

    await row.getByRole('button', { name: 'Cancel business…' }).click()
    await page.getByRole('button', { name: 'Keep it' }).click()
    await row.getByRole('button', { name: 'Cancel business…' }).click()
    await page.getByRole('button', { name: 'Yes, cancel the subscription' }).click()
    await row.getByText('canceled').waitFor()
    expect(await row.getByRole('button').count()).toBe(0)
    const subs = await as(t, owner).get(`/v1/organizations/${org.id}/subscriptions`)
    expect(subs.body.data.items).toEqual([expect.objectContaining({ plan: 'business', status: 'canceled' })])
    // Nothing blocks deleting the workspace any more.
    const preview = await as(t, owner).get(`/v1/organizations/${org.id}/deletion-preview`)
    expect(preview.body.data.blockers).toEqual([])
  })

  it('creates an API token shown once with a copy button, lists its expiry and revokes it', async () => {
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base })
    await page.goto(`${base}/`)
    await page.getByRole('link', { name: 'API tokens' }).click()
    await page.getByRole('heading', { name: 'API tokens', level: 1 }).waitFor()
    const list = page.getByRole('list', { name: 'Your tokens' })
    await list.locator('strong', { hasText: 'test' }).waitFor()

    await page.getByLabel('Name', { exact: true }).fill('CI on main')
    await page.getByLabel('Expires after').selectOption('30')
    await page.getByRole('button', { name: 'Create token' }).click()
    const value = page.getByLabel('Value of the token CI on main')
    const token = await value.inputValue()
    expect(token).not.toBe('')
    await page.getByRole('button', { name: 'Copy token' }).click()
    await page.getByText('Copied to the clipboard.').waitFor()
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(token)
    // The token works, and the list never shows its value again.
    expect((await as(t, token).get('/v1/users/me')).body.data.email).toBe(owner.email)
    const row = list.locator('li', { hasText: 'CI on main' })
    await row.getByText(/Expires in (29|30) days/).waitFor()
    await page.reload()
    await row.waitFor()
    expect(await page.content()).not.toContain(token)

    await row.getByRole('button', { name: /^Revoke CI on main/ }).click()
    await page.getByRole('button', { name: 'Yes, revoke CI on main' }).click()
    await row.waitFor({ state: 'detached' })
    expect((await as(t, token).get('/v1/users/me')).body.error.code).toBe(4004)
  })

  it('tells someone signed in with a token limited to one workspace why their tokens are out of reach', async () => {
    const org = await createOrg(t, owner, { name: 'Scoped Co' })
    const scoped = await as(t, owner).post('/v1/users/me/tokens', { name: 'kiosk', organizationId: org.id })
    await page.evaluate(`sessionStorage.setItem('orgspace.token', ${JSON.stringify(scoped.body.data.token)})`)
    await open('/account/tokens', 'API tokens')
    const refusal = page.getByRole('alert')
    await refusal.waitFor()
    expect(await refusal.textContent()).toContain('sign in with a token that works everywhere')
    await page.evaluate(`sessionStorage.setItem('orgspace.token', ${JSON.stringify(owner.token)})`)
  })
})
