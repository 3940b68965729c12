import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from './support/app.js'
import { testDeliveryWorker } from './support/events.js'
import { addMember, as, ownerWithOrg } from './support/factories.js'
import { purgeNow } from './support/purge.js'
import { startMailServer, type MailServer } from './support/smtp.js'

// Email about a deletion, sent to a real SMTP server on 127.0.0.1 that records what it receives.

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp()
})
afterAll(async () => t.close())

async function deletedOrganization() {
  const { owner, org } = await ownerWithOrg(t)
  const admins = [await addMember(t, owner, org, 'admin'), await addMember(t, owner, org, 'admin')]
  const others = [await addMember(t, owner, org, 'editor'), await addMember(t, owner, org, 'viewer')]
  await as(t, owner).post(`/v1/organizations/${org.id}/apps`, { name: 'Mailed' })
  // An admin who is promoted to owner deletes it: the email names who did it.
  await as(t, owner).post(`/v1/organizations/${org.id}/change-owner`, { newOwner: admins[0]?.email })
  const deleter = admins[0]
  if (!deleter) throw new Error('no admin')
  const reply = await as(t, deleter).delete(`/v1/organizations/${org.id}`)
  expect(reply.status).toBe(200)
  return { org, owner, admins, others, deleter, deletionId: reply.body.data.deletionId as string }
}

describe('email about a deletion', () => {
  let smtp: MailServer
  beforeAll(async () => {
    smtp = await startMailServer()
  })
  afterAll(async () => smtp.close())

  it('tells the owner and admins who deleted it and when, and again when it is gone', async () => {
    const w = testDeliveryWorker(t, { SMTP_URL: smtp.url, SMTP_FROM: 'Workspace <no-reply@orgspace.test>' })
    try {
      const { org, owner, admins, others, deleter, deletionId } = await deletedOrganization()
      await w.drain()
      const about = () => smtp.mails.filter((m) => m.text.includes(deletionId))
      const requested = about()
      // The old owner is an admin now; the editor and the viewer are not told.
      const managers = [deleter.email, owner.email, ...admins.slice(1).map((a) => a.email)].sort()
      expect(requested.flatMap((m) => m.to).sort()).toEqual(managers)
      for (const other of others) expect(requested.flatMap((m) => m.to)).not.toContain(other.email)
      const receipt = (await as(t, deleter).get(`/v1/deletions/${deletionId}`)).body.data
      for (const mail of requested) {
        expect(mail.to).toHaveLength(1)
        expect(mail.from).toBe('no-reply@orgspace.test')
        expect(mail.header('subject')).toBe(`Workspace "${org.name}" was deleted`)
        expect(mail.text).toContain(
          `deleted by ${deleter.email} on ${receipt.requestedAt.slice(0, 10)} ${receipt.requestedAt.slice(11, 16)} UTC`,
        )
        expect(mail.text).toContain('It cannot be restored')
        expect(mail.raw).toMatch(/Content-Type: text\/html/)
      }

      await purgeNow(t.db)
      await w.drain()
      const completed = about().filter((m) => m.header('subject')?.includes('permanently deleted'))
      expect(completed.flatMap((m) => m.to).sort()).toEqual(managers)
      expect(completed[0]?.text).toMatch(/\b1 app\b.*\b5 collaborators\b|\b5 collaborators\b.*\b1 app\b/)
      expect(
        await t.db
          .selectFrom('deletion_notices')
          .select('deletion_id')
          .where('deletion_id', '=', deletionId)
          .execute(),
      ).toEqual([])
    } finally {
      await w.close()
    }
  })
})

describe('a mail outage', () => {
  it('delays the email and nothing else: the deletion completes, the mail goes out once the server is back', async () => {
    const probe = await startMailServer()
    const port = probe.port
    await probe.close() // nothing listens there now
    const w = testDeliveryWorker(t, { SMTP_URL: `smtp://127.0.0.1:${port}` })
    try {
      const { deletionId, deleter } = await deletedOrganization()
      await w.drain()
      await purgeNow(t.db)
      expect((await as(t, deleter).get(`/v1/deletions/${deletionId}`)).body.data.status).toBe('completed')
      await w.drain()
      const pending = await t.db
        .selectFrom('instance_deliveries')
        .select(['channel', 'attempt', 'error'])
        .execute()
      expect(pending.length).toBe(6) // 3 recipients × requested and completed
      for (const row of pending)
        expect(row).toMatchObject({
          channel: 'email',
          attempt: 1,
          error: expect.stringMatching(/mail not accepted/),
        })

      const smtp = await startMailServer(port)
      try {
        w.clock.advance(10_000)
        await w.drain()
        expect(smtp.mails.filter((m) => m.text.includes(deletionId))).toHaveLength(6)
        const left = await t.db.selectFrom('instance_deliveries').select('body').execute()
        expect(left.filter((row) => row.body.includes(deletionId))).toEqual([])
      } finally {
        await smtp.close()
      }
    } finally {
      await w.close()
    }
  })
})
