import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../src/db/ids.js'
import { Recorder } from '../src/events/recorder.js'
import { buildTestApp, type TestApp } from './support/app.js'

// The delivery worker's group commit: outcomes written together, and a failed transaction failing all of them.

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp()
})
afterAll(async () => t.close())

const insertEvent = (id: string) => ({
  id,
  type: 'app.created',
  source_organization_id: 'a'.repeat(24),
  body: '{}',
  created_at: new Date().toISOString(),
})

describe('Recorder', () => {
  it('writes what arrives while a transaction is open in the next one, and resolves each with its result', async () => {
    const recorder = new Recorder(t.db)
    const ids = Array.from({ length: 40 }, () => newId())
    const transactions: object[] = []
    const results = await Promise.all(
      ids.map((id) =>
        recorder.record(async (trx) => {
          await trx.insertInto('events').values(insertEvent(id)).execute()
          transactions.push(trx)
          return id
        }),
      ),
    )
    expect(results).toEqual(ids)
    const stored = await t.db.selectFrom('events').select('id').where('id', 'in', ids).execute()
    expect(stored).toHaveLength(ids.length)
    // The first is written alone; those that arrived meanwhile share the next transaction.
    expect(transactions[1]).not.toBe(transactions[0])
    expect(new Set(transactions).size).toBe(2)
    await t.db.deleteFrom('events').where('id', 'in', ids).execute()
  })

  it('fails every outcome of a transaction that fails, and keeps none of it', async () => {
    const recorder = new Recorder(t.db)
    const first = newId()
    const ids = [newId(), newId()]
    const blocker = recorder.record((trx) => trx.insertInto('events').values(insertEvent(first)).execute())
    const good = recorder.record((trx) =>
      trx
        .insertInto('events')
        .values(insertEvent(ids[0] ?? ''))
        .execute(),
    )
    const bad = recorder.record(async () => {
      throw new Error('this outcome cannot be written')
    })
    await blocker
    await expect(good).rejects.toThrow('cannot be written')
    await expect(bad).rejects.toThrow('cannot be written')
    expect(await t.db.selectFrom('events').select('id').where('id', 'in', ids).execute()).toEqual([])
    // And the next ones are written as usual.
    await recorder.record((trx) =>
      trx
        .insertInto('events')
        .values(insertEvent(ids[1] ?? ''))
        .execute(),
    )
    expect(await t.db.selectFrom('events').select('id').where('id', 'in', ids).execute()).toHaveLength(1)
  })
})
