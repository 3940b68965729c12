import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from './support/app.js'
import { as, ownerWithOrg } from './support/factories.js'

// The reads every request makes are prepared once per connection (on PostgreSQL, named statements the server
// keeps). A running server must go on answering when a migration changes the tables under them.

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp()
})
afterAll(async () => {
  await t.close()
})

describe('prepared reads', () => {
  it('still answer, with the same body, after a column is added to the tables they read', async () => {
    const { owner, org } = await ownerWithOrg(t)
    const api = as(t, owner)
    const read = async () => {
      const replies = await Promise.all([
        api.get(`/v1/organizations/${org.slug}`),
        api.get(`/v1/organizations/${org.id}`),
      ])
      for (const reply of replies) expect(reply.status, JSON.stringify(reply.body)).toBe(200)
      return replies.map((reply) => reply.body)
    }
    // Enough runs for every pooled connection to have prepared them (PostgreSQL plans generically after five).
    for (let i = 0; i < 8; i++) await read()
    const before = await read()
    await sql`alter table organizations add column added_later text`.execute(t.db)
    await sql`alter table collaborators add column added_later text`.execute(t.db)
    for (let i = 0; i < 8; i++) expect(await read()).toEqual(before)
  })
})
