import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../support/app.js'
import { addMember, as, createOrg, createUser, type TestUser } from '../support/factories.js'
import { buildDashboard, chromiumAvailable, launchBrowser, signIn, type Browser } from './browser.js'

// The danger zone's "Export first" as a person uses it: the real server, the built dashboard, a real browser that
// saves the archive. The archive is opened here by hand (gzip, then 512-byte tar headers), not by orgspace's reader.

let t: TestApp
let base: string
let browser: Browser

/** The entries of a tar archive: name and bytes (ustar: name at 0, octal size at 124, data after the header). */
function untar(tar: Buffer): { name: string; data: Buffer }[] {
  const entries: { name: string; data: Buffer }[] = []
  for (let at = 0; at + 512 <= tar.length;) {
    const header = tar.subarray(at, at + 512)
    if (header.every((byte) => byte === 0)) break
    const field = (from: number, to: number) =>
      header.subarray(from, to).toString('utf8').replace(/\0.*$/s, '')
    const prefix = field(345, 500)
    const name = prefix ? `${prefix}/${field(0, 100)}` : field(0, 100)
    const size = parseInt(field(124, 136).trim(), 8)
    entries.push({ name, data: tar.subarray(at + 512, at + 512 + size) })
    at += 512 + Math.ceil(size / 512) * 512
  }
  return entries
}

describe.skipIf(!chromiumAvailable())('export first, in the danger zone', { timeout: 90_000 }, () => {
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

  it('exports, shows the progress, and downloads an archive of the workspace', async () => {
    const owner = await createUser(t, 'owner')
    const org = await createOrg(t, owner, { name: 'Export Co' })
    await as(t, owner).post(`/v1/organizations/${org.id}/apps`, { name: 'Field App' })
    for (const serialNumber of ['EX-1', 'EX-2'])
      await as(t, owner).post(`/v1/organizations/${org.id}/devices`, { platform: 'android', serialNumber })

    const page = await signedIn(owner, `/workspaces/${org.id}/danger`)
    const remove = page.getByRole('button', { name: 'Delete Export Co permanently' })
    await remove.waitFor()
    // Beside the Delete button, in the same row.
    const exportButton = page.getByRole('button', { name: 'Export first' })
    expect(await exportButton.evaluate((b) => b.parentElement?.textContent)).toContain('Delete Export Co')

    await exportButton.click()
    // The POST answers `running`: the progress shows until the first poll, a second later.
    await page.getByRole('progressbar', { name: /^Exporting Export Co: \d+ %$/ }).waitFor()
    const download = page.getByRole('button', { name: /^Download the archive \(.+\)$/ })
    await download.waitFor()
    expect(await page.getByRole('progressbar').count()).toBe(0)
    expect(await exportButton.isEnabled()).toBe(true)
    const shown = await page.locator('.export-status .digest').textContent()

    const [saved] = await Promise.all([page.waitForEvent('download'), download.click()])
    expect(saved.suggestedFilename()).toMatch(new RegExp(`^${org.slug}-[0-9a-f]{24}\\.tar\\.gz$`))
    const path = await saved.path()
    const archive = readFileSync(path)
    expect(createHash('sha256').update(archive).digest('hex')).toBe(shown)
    const entries = untar(gunzipSync(archive))
    expect(entries[0]?.name).toBe('manifest.json')
    const manifest = JSON.parse(entries[0]?.data.toString('utf8') ?? '{}')
    expect(manifest).toMatchObject({
      format: 'orgspace-export',
      formatVersion: 2,
      organization: { id: org.id, name: 'Export Co', slug: org.slug },
      counts: { apps: 1, devices: 2, collaborators: 1 },
    })
    const devices = entries.find((e) => e.name === 'devices.ndjson')?.data.toString('utf8') ?? ''
    expect(
      devices
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).serialNumber),
    ).toEqual(['EX-1', 'EX-2'])
    await page.getByText(`Downloaded ${saved.suggestedFilename()}.`).waitFor()

    // Nothing was deleted along the way.
    expect((await as(t, owner).get(`/v1/organizations/${org.id}`)).status).toBe(200)
    await page.close()
  })

  it('says in plain words when the archive has expired', async () => {
    const owner = await createUser(t, 'owner')
    const org = await createOrg(t, owner, { name: 'Expiring Co' })
    const page = await signedIn(owner, `/workspaces/${org.id}/danger`)
    await page.getByRole('button', { name: 'Export first' }).click()
    const download = page.getByRole('button', { name: /^Download the archive/ })
    await download.waitFor()
    // As if EXPORT_TTL_SECONDS had passed since.
    await t.db
      .updateTable('exports')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .where('organization_id', '=', org.id)
      .execute()
    await download.click()
    const alert = page.getByRole('alert')
    await alert.waitFor()
    expect(await alert.textContent()).toContain('The export has expired.')
    expect(await alert.textContent()).toContain('press “Export first” again')
    await page.close()
  })

  it('offers the export to an admin without the Delete button, and to a viewer not at all', async () => {
    const owner = await createUser(t, 'owner')
    const org = await createOrg(t, owner, { name: 'Roles Export' })
    const admin = await addMember(t, owner, org, 'admin')
    const viewer = await addMember(t, owner, org, 'viewer')

    const asAdmin = await signedIn(admin, `/workspaces/${org.id}/danger`)
    await asAdmin.getByRole('heading', { name: 'Export this workspace' }).waitFor()
    await asAdmin.getByText('Only the owner can delete the workspace.').waitFor()
    expect(await asAdmin.getByRole('button', { name: 'Export first' }).count()).toBe(1)
    expect(await asAdmin.getByRole('button', { name: /^Delete / }).count()).toBe(0)
    await asAdmin.close()

    const asViewer = await signedIn(viewer, `/workspaces/${org.id}/danger`)
    await asViewer.getByText('Your role (viewer) cannot open that section.').waitFor()
    const tabs = asViewer.getByRole('navigation', { name: 'Workspace sections' })
    expect(await tabs.getByRole('link', { name: 'Danger zone' }).count()).toBe(0)
    expect(await asViewer.getByRole('button', { name: 'Export first' }).count()).toBe(0)
    await asViewer.close()
  })
})
