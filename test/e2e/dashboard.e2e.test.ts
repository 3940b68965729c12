import { mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { placeLegalHold } from '../../src/deletion/legal-holds.js'
import { buildTestApp, type TestApp } from '../support/app.js'
import { addMember, as, createOrg, createUser, type TestOrg, type TestUser } from '../support/factories.js'
import { buildDashboard, chromiumAvailable, launchBrowser, signIn, type Browser } from './browser.js'

// The dashboard as a person uses it: the real server on a real port, the built web/ bundle, a real browser.
// The screenshot of the danger zone goes to docs/ only when asked (UPDATE_SCREENSHOTS=1), so a test run
// does not rewrite a tracked file.
const SCRATCH = join(tmpdir(), 'orgspace-screenshots')
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? 'docs' : SCRATCH

let t: TestApp
let base: string
let browser: Browser

describe.skipIf(!chromiumAvailable())('dashboard in a browser', { timeout: 90_000 }, () => {
  beforeAll(async () => {
    buildDashboard()
    t = await buildTestApp({ PURGE_WORKER: 'on' })
    base = await t.app.listen({ port: 0, host: '127.0.0.1' })
    browser = await launchBrowser()
  })
  afterAll(async () => {
    await browser?.close()
    await t?.close()
  })

  const signedIn = (user: TestUser, path = '/', server = base): Promise<Page> =>
    signIn(browser, `${server}${path}`, user.token)

  async function subscribe(owner: TestUser, org: TestOrg, plan: string): Promise<string> {
    const reply = await as(t, owner).post(`/v1/organizations/${org.id}/subscriptions`, { plan })
    expect(reply.status).toBe(200)
    return reply.body.data.id
  }

  it('signs in with a pasted token, keeps it in this tab only, and signs out', async () => {
    const alice = await createUser(t, 'alice')
    const page = await browser.context.newPage()
    await page.goto(`${base}/`)
    await page.getByRole('heading', { name: 'Sign in to orgspace' }).waitFor()
    await page.getByText('npx orgspace user create --email you@example.com').waitFor()

    await page.getByLabel('API token').fill('osk_not_a_real_token')
    await page.getByRole('button', { name: 'Sign in' }).click()
    const refused = page.getByRole('alert')
    await refused.waitFor()
    expect(await refused.textContent()).toContain('Invalid Token')

    // Keyboard only: the field is focused, Enter submits.
    await page.getByLabel('API token').fill(alice.token)
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { name: 'Workspaces' }).waitFor()
    expect(await page.locator('#account').textContent()).toContain(alice.email)
    expect(await page.evaluate('sessionStorage.getItem("orgspace.token")')).toBe(alice.token)
    expect(await page.evaluate('localStorage.length')).toBe(0)

    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('heading', { name: 'Sign in to orgspace' }).waitFor()
    expect(await page.evaluate('sessionStorage.getItem("orgspace.token")')).toBeNull()
    await page.close()
  })

  it('sends the user back to sign-in when the token stops working', async () => {
    const bob = await createUser(t, 'bob')
    const org = await createOrg(t, bob, { name: 'Revoked Corp' })
    const page = await signedIn(bob)
    const tokens = await as(t, bob).get('/v1/users/me/tokens')
    for (const token of tokens.body.data.items) await as(t, bob).delete(`/v1/users/me/tokens/${token.id}`)
    await page.getByRole('link', { name: 'Revoked Corp' }).click()
    await page.getByRole('heading', { name: 'Sign in to orgspace' }).waitFor()
    expect(await page.getByRole('status').first().textContent()).toContain('Invalid Token')
    expect(new URL(page.url()).pathname).toBe(`/workspaces/${org.id}`)
    await page.close()
  })

  it('lists workspaces with search and pages, and shows a workspace overview', async () => {
    const owner = await createUser(t, 'owner')
    for (let i = 0; i < 11; i++) await createOrg(t, owner, { name: `Fleet ${String(i).padStart(2, '0')}` })
    const org = await createOrg(t, owner, { name: 'Zebra Mobile' })
    const member = await addMember(t, owner, org, 'editor')
    await as(t, owner).post(`/v1/organizations/${org.id}/apps`, { name: 'Zebra Scanner' })
    await as(t, owner).post(`/v1/organizations/${org.id}/devices`, {
      platform: 'android',
      serialNumber: 'ZB-001',
    })
    await subscribe(owner, org, 'business')

    const page = await signedIn(owner)
    const list = page.getByRole('list', { name: 'Workspaces' })
    await list.getByRole('link', { name: 'Fleet 00' }).waitFor()
    expect(await list.getByRole('listitem').count()).toBe(10)
    await page.getByText('Page 1 of 2 (12 in all)').waitFor()
    await page.getByRole('button', { name: 'Next' }).click()
    await list.getByRole('link', { name: 'Zebra Mobile' }).waitFor()
    expect(await list.getByRole('listitem').count()).toBe(2)

    await page.getByLabel('Search by name').fill('zebra')
    await page.getByText('1 workspace', { exact: true }).waitFor()
    expect(new URL(page.url()).searchParams.get('q')).toBe('zebra')
    await list.getByRole('link', { name: 'Zebra Mobile' }).click()

    await page.getByRole('heading', { name: 'Zebra Mobile', level: 1 }).waitFor()
    const counts = page.getByRole('list', { name: 'Counts' })
    await counts.waitFor()
    expect((await counts.textContent())?.replace(/\s+/g, ' ')).toBe(
      '1 app1 device2 collaborators'.replace(/\s+/g, ' '),
    )
    await page.getByRole('list', { name: 'Subscriptions' }).getByText('business').waitFor()
    await page.getByRole('list', { name: 'Collaborators' }).getByText(member.email).waitFor()
    await page.getByRole('list', { name: 'Apps' }).getByText('Zebra Scanner').waitFor()
    await page.getByRole('list', { name: 'Devices' }).getByText('ZB-001').waitFor()
    const history = page.getByRole('list', { name: 'Recent history' })
    await history.getByRole('listitem').first().waitFor()
    expect(await history.getByRole('listitem').count()).toBeGreaterThan(0)
    await page.close()
  })

  it('offers only the controls a role may use', async () => {
    const owner = await createUser(t, 'owner')
    const org = await createOrg(t, owner, { name: 'Roles Inc' })
    const viewer = await addMember(t, owner, org, 'viewer')
    const admin = await addMember(t, owner, org, 'admin')

    const asViewer = await signedIn(viewer, `/workspaces/${org.id}`)
    await asViewer.getByRole('heading', { name: 'Roles Inc', level: 1 }).waitFor()
    await asViewer.getByText('Only the owner and admins can read the audit history').waitFor()
    const viewerTabs = asViewer.getByRole('navigation', { name: 'Workspace sections' })
    expect(await viewerTabs.getByRole('link').allTextContents()).toEqual([
      'Overview',
      'Collaborators',
      'Apps',
      'Devices',
    ])
    await asViewer.close()

    // An admin may export but not delete: the danger zone shows the export alone (export-first.e2e.test.ts).
    const asAdmin = await signedIn(admin, `/workspaces/${org.id}/danger`)
    await asAdmin.getByRole('heading', { name: 'Export this workspace' }).waitFor()
    const adminTabs = asAdmin.getByRole('navigation', { name: 'Workspace sections' })
    expect(await adminTabs.getByRole('link').allTextContents()).toEqual([
      'Overview',
      'Collaborators',
      'Apps',
      'Devices',
      'History',
      'Settings',
      'Danger zone',
    ])
    await adminTabs.getByRole('link', { name: 'Settings' }).click()
    await asAdmin.getByRole('heading', { name: 'Name and slug' }).waitFor()
    expect(await asAdmin.getByRole('heading', { name: 'Owner' }).count()).toBe(0)
    await asAdmin.close()
  })

  it('renames a workspace, answering check-slug while typing and showing validation errors', async () => {
    const owner = await createUser(t, 'owner')
    const taken = await createOrg(t, owner, { name: 'Taken Slug' })
    const org = await createOrg(t, owner, { name: 'Before Rename' })
    const page = await signedIn(owner, `/workspaces/${org.id}/settings`)
    const slug = page.getByLabel('Slug', { exact: true })
    await slug.fill(taken.slug)
    await page.getByText(`“${taken.slug}” is taken.`).waitFor()
    await slug.fill('admin')
    await page.getByRole('button', { name: 'Save changes' }).click()
    const error = page.getByRole('alert')
    await error.waitFor()
    expect(await error.textContent()).toContain('Validation Error')
    expect(await error.textContent()).toContain('slug:')

    const newSlug = `after-${org.id.slice(-8)}`
    await slug.fill(newSlug)
    await page.getByText(`“${newSlug}” is available.`).waitFor()
    await page.getByLabel('Name', { exact: true }).fill('After Rename')
    await page.getByRole('button', { name: 'Save changes' }).click()
    await page.getByText('Settings saved.').waitFor()
    await page.getByRole('heading', { name: 'After Rename', level: 1 }).waitFor()
    const stored = await as(t, owner).get(`/v1/organizations/${org.id}`)
    expect(stored.body.data).toMatchObject({ name: 'After Rename', slug: newSlug })
    await page.close()
  })

  it('adds a webhook endpoint, shows its secret once, sends a test event and lists its delivery', async () => {
    const owner = await createUser(t, 'owner')
    const org = await createOrg(t, owner, { name: 'Hooked Co' })
    const page = await signedIn(owner, `/workspaces/${org.id}/settings`)
    await page.getByText('No webhook endpoints.').waitFor()
    // A loopback address is refused (the address guard), with the field named.
    await page.getByLabel('Endpoint URL').fill('http://127.0.0.1:9/hook')
    await page.getByRole('button', { name: 'Add endpoint' }).click()
    const refused = page.getByRole('alert')
    await refused.waitFor()
    expect(await refused.textContent()).toContain('url:')

    await page.getByLabel('Endpoint URL').fill('https://93.184.215.14/hook')
    await page.getByRole('button', { name: 'Add endpoint' }).click()
    const secret = await page.locator('code', { hasText: 'whsec_' }).textContent()
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+={0,2}$/)
    const listed = await as(t, owner).get(`/v1/organizations/${org.id}/webhooks`)
    expect(listed.body.data.items).toEqual([expect.objectContaining({ url: 'https://93.184.215.14/hook' })])
    expect(JSON.stringify(listed.body)).not.toContain(secret)

    await page.getByRole('button', { name: 'Send test' }).click()
    await page.getByText('Test event queued.').waitFor()
    await page
      .getByRole('list', { name: 'Deliveries to https://93.184.215.14/hook' })
      .getByText('webhook.test')
      .waitFor()

    await page.getByRole('button', { name: 'Remove' }).click()
    await page.getByText('No webhook endpoints.').waitFor()
    expect((await as(t, owner).get(`/v1/organizations/${org.id}/webhooks`)).body.data.items).toEqual([])
    await page.close()
  })

  it('hands the workspace to another collaborator after a confirmation', async () => {
    const owner = await createUser(t, 'owner')
    const org = await createOrg(t, owner, { name: 'Handover' })
    const admin = await addMember(t, owner, org, 'admin')
    const page = await signedIn(owner, `/workspaces/${org.id}/settings`)
    // The field suggests the current collaborators (not the owner itself).
    const suggestions = page.locator(
      `datalist#${await page.getByLabel('New owner').getAttribute('list')} option`,
    )
    await suggestions.first().waitFor({ state: 'attached' })
    expect(await suggestions.evaluateAll((options) => options.map((o) => o.getAttribute('value')))).toEqual([
      admin.email,
    ])
    await page.getByLabel('New owner').fill(admin.email)
    await page.getByRole('button', { name: 'Transfer ownership…' }).click()
    await page.getByRole('button', { name: `Yes, make ${admin.email} the owner` }).click()
    await page.getByText(`${admin.email} now owns Handover; you are an admin.`).waitFor()
    const seen = await as(t, owner).get(`/v1/organizations/${org.id}`)
    expect(seen.body.data).toMatchObject({ role: 'admin', owner: { id: admin.id } })
    // The former owner, now an admin, keeps the danger zone for its export only: no Delete button.
    const tabs = page.getByRole('navigation', { name: 'Workspace sections' })
    await tabs.getByRole('link', { name: 'Danger zone' }).click()
    await page.getByRole('heading', { name: 'Export this workspace' }).waitFor()
    expect(await tabs.getByRole('link').allTextContents()).toEqual([
      'Overview',
      'Collaborators',
      'Apps',
      'Devices',
      'History',
      'Settings',
      'Danger zone',
    ])
    expect(await page.getByRole('button', { name: /^Delete / }).count()).toBe(0)
    await page.close()
  })

  it('deletes only after the blockers are gone and the slug is typed, then follows the receipt', async () => {
    const owner = await createUser(t, 'owner')
    const org = await createOrg(t, owner, { name: 'Doomed Devices' })
    const other = await createOrg(t, owner, { name: 'Survivor' })
    await addMember(t, owner, org, 'editor')
    await as(t, owner).post(`/v1/organizations/${org.id}/apps`, { name: 'Field App' })
    for (const serialNumber of ['DD-1', 'DD-2'])
      await as(t, owner).post(`/v1/organizations/${org.id}/devices`, { platform: 'apple', serialNumber })
    const subscriptionId = await subscribe(owner, org, 'enterprise')

    const page = await signedIn(owner, `/workspaces/${org.id}`)
    await page.getByRole('link', { name: 'Danger zone' }).click()
    const removal = page.getByRole('list', { name: 'What will be removed' })
    await removal.waitFor()
    expect(await removal.locator('[data-resource="apps"] strong').textContent()).toBe('1')
    expect(await removal.locator('[data-resource="devices"] strong').textContent()).toBe('2')
    expect(await removal.locator('[data-resource="collaborators"] strong').textContent()).toBe('2')
    const blocker = page.locator(`[data-blocker="${subscriptionId}"]`)
    expect(await blocker.textContent()).toContain('The enterprise subscription is active')
    // This instance has no grace period: the page says the deletion is final.
    await page.getByText('This cannot be undone:').waitFor()

    const remove = page.getByRole('button', { name: 'Delete Doomed Devices permanently' })
    const confirm = page.getByLabel('To confirm, type the slug')
    expect(await remove.isDisabled()).toBe(true)
    await confirm.fill(org.slug.toUpperCase())
    expect(await remove.isDisabled()).toBe(true)
    await confirm.fill(`${org.slug} `)
    expect(await remove.isDisabled()).toBe(true)
    // The slug typed exactly, but a blocker listed: Delete stays locked, and the page says why.
    await confirm.fill(org.slug)
    expect(await remove.isDisabled()).toBe(true)
    await page.getByText('Deletion is locked while something above blocks it').waitFor()

    mkdirSync(SCREENSHOTS, { recursive: true })
    await page.screenshot({ path: join(SCREENSHOTS, 'danger-zone.png'), fullPage: true })
    await page.setViewportSize({ width: 375, height: 812 })
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true)
    mkdirSync(SCRATCH, { recursive: true })
    await page.screenshot({ path: join(SCRATCH, 'danger-zone-phone.png'), fullPage: true })
    await page.setViewportSize({ width: 1200, height: 900 })

    await blocker.getByRole('button', { name: 'Cancel enterprise subscription…' }).click()
    await page.getByRole('button', { name: 'Yes, cancel the subscription' }).click()
    await page.getByText('Nothing: the workspace can be deleted.').waitFor()
    expect(await blocker.count()).toBe(0)
    expect(await remove.isEnabled()).toBe(true)

    // A subscription started elsewhere after the preview: the server refuses with 5111, the page says why and
    // lists the new blocker, which locks Delete again.
    const late = await subscribe(owner, org, 'starter')
    await remove.click()
    const refusal = page.getByRole('alert')
    await refusal.waitFor()
    expect(await refusal.textContent()).toContain(
      'Can not perform this action because there are active subscriptions',
    )
    const lateBlocker = page.locator(`[data-blocker="${late}"]`)
    await lateBlocker.waitFor()
    expect(await remove.isDisabled()).toBe(true)
    expect((await as(t, owner).get(`/v1/organizations/${org.id}`)).status).toBe(200)
    await lateBlocker.getByRole('button', { name: /^Cancel .*subscription…$/ }).click()
    await page.getByRole('button', { name: 'Yes, cancel the subscription' }).click()
    await page.getByText('Nothing: the workspace can be deleted.').waitFor()

    await page.getByRole('button', { name: 'Delete Doomed Devices permanently' }).click()
    await page.waitForURL(/\/deletions\/[a-f0-9]{24}$/)
    await page.getByText('Doomed Devices was deleted.').waitFor()
    await page.locator('[data-status="completed"]').waitFor()
    const receiptCounts = page.getByRole('list', { name: 'Removed records' })
    expect(await receiptCounts.locator('[data-resource="devices"] strong').textContent()).toBe('2')
    expect(await receiptCounts.locator('[data-resource="apps"] strong').textContent()).toBe('1')

    const deletionId = new URL(page.url()).pathname.split('/').at(-1)
    const receipt = await as(t, owner).get(`/v1/deletions/${deletionId}`)
    expect(receipt.body.data).toMatchObject({ status: 'completed', organization: { id: org.id } })
    expect((await as(t, owner).get(`/v1/organizations/${org.id}`)).status).toBe(404)

    await page.getByRole('link', { name: '← All workspaces' }).click()
    const list = page.getByRole('list', { name: 'Workspaces' })
    await list.getByRole('link', { name: other.name }).waitFor()
    expect(await list.getByRole('link', { name: 'Doomed Devices' }).count()).toBe(0)
    await page.getByRole('heading', { name: 'Deletions you requested' }).waitFor()
    await page.close()
  })

  it('says a legal hold blocks the deletion, with its reason and who can release it', async () => {
    const owner = await createUser(t, 'owner')
    const org = await createOrg(t, owner, { name: 'Held Co' })
    await placeLegalHold(t.db, org.id, 'litigation 2026-17')
    const page = await signedIn(owner, `/workspaces/${org.id}/danger`)
    const blockers = page.getByRole('list', { name: 'What blocks the deletion' })
    await blockers.waitFor()
    expect(await blockers.textContent()).toContain(
      'A legal hold is placed on this workspace: litigation 2026-17. Only an operator can release it.',
    )
    expect(await blockers.textContent()).not.toContain('undefined')
    await page.close()
  })

  it('is usable with the keyboard alone', async () => {
    const owner = await createUser(t, 'owner')
    const org = await createOrg(t, owner, { name: 'Keyboard Co' })
    const page = await signedIn(owner)
    await page.getByRole('link', { name: 'Keyboard Co' }).waitFor()
    // Tab through the page until the workspace link has focus, then follow it with Enter.
    let reached = false
    for (let i = 0; i < 20 && !reached; i++) {
      await page.keyboard.press('Tab')
      reached = (await page.evaluate('document.activeElement?.textContent')) === 'Keyboard Co'
    }
    expect(reached).toBe(true)
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { name: 'Keyboard Co', level: 1 }).waitFor()
    // The new page's heading takes focus, so the next Tab starts from the new content.
    expect(await page.evaluate('document.activeElement?.tagName')).toBe('H1')
    expect(new URL(page.url()).pathname).toBe(`/workspaces/${org.id}`)
    await page.close()
  })

  describe('on an instance with a grace period', () => {
    let g: TestApp
    let graceBase: string
    beforeAll(async () => {
      g = await buildTestApp({ PURGE_WORKER: 'on', DELETION_GRACE_SECONDS: '3600' })
      graceBase = await g.app.listen({ port: 0, host: '127.0.0.1' })
    })
    afterAll(async () => {
      await g?.close()
    })

    it('says how long a deletion can be undone, shows when the purge starts, and restores the workspace', async () => {
      const owner = await createUser(g, 'owner')
      const org = await createOrg(g, owner, { name: 'Second Thoughts' })
      await as(g, owner).post(`/v1/organizations/${org.id}/apps`, { name: 'Kept App' })

      const page = await signedIn(owner, `/workspaces/${org.id}/danger`, graceBase)
      await page.getByText('For 1 hour this can be undone:').waitFor()
      await page.getByLabel('To confirm, type the slug').fill(org.slug)
      await page.getByRole('button', { name: 'Delete Second Thoughts permanently' }).click()
      await page.waitForURL(/\/deletions\/[a-f0-9]{24}$/)
      await page.getByText('It can be restored until').waitFor()
      await page.locator('[data-status="scheduled"]').waitFor()
      await page.getByText('Purge starts', { exact: true }).waitFor()
      const deletionId = new URL(page.url()).pathname.split('/').at(-1)
      const scheduled = (await as(g, owner).get(`/v1/deletions/${deletionId}`)).body.data
      expect(scheduled.status).toBe('scheduled')
      await page.locator(`dd time[datetime="${scheduled.purgeAt}"]`).waitFor()
      expect((await as(g, owner).get(`/v1/organizations/${org.id}`)).status).toBe(404)

      await page.getByRole('button', { name: 'Restore Second Thoughts' }).click()
      await page.waitForURL(new RegExp(`/workspaces/${org.id}$`))
      await page.getByRole('heading', { name: 'Second Thoughts', level: 1 }).waitFor()
      await page.getByText('Second Thoughts was restored.').waitFor()
      expect((await as(g, owner).get(`/v1/deletions/${deletionId}`)).body.data.status).toBe('restored')
      const apps = await as(g, owner).get(`/v1/organizations/${org.id}/apps`)
      expect(apps.body.data.items.map((a: { name: string }) => a.name)).toEqual(['Kept App'])
      await page.close()
    })
  })
})
