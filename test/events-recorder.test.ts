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

  it('holds outcomes for the next dispatch, which writes them in its own transaction and settles them at commit', async () => {
    // A hold far longer than the test: only the dispatch's transaction (or hold(false)) may write them.
    const recorder = new Recorder(t.db, { holdMs: 600_000 })
    const ids = [newId(), newId()]
    const used: object[] = []
    let settled = 0
    const outcomes = ids.map((id) =>
      recorder
        .record(async (trx) => {
          used.push(trx)
          await trx.insertInto('events').values(insertEvent(id)).execute()
          return id
        })
        .then((value) => {
          settled++
          return value
        }),
    )
    await Promise.resolve()
    expect(used).toEqual([])
    let dispatch: object | undefined
    let settle: ((error?: unknown) => void) | undefined
    await t.db.transaction().execute(async (trx) => {
      dispatch = trx
      settle = await recorder.writeWaiting(trx)
      // Written, but not settled before the transaction is known to have committed.
      expect(settled).toBe(0)
    })
    settle?.()
    expect(await Promise.all(outcomes)).toEqual(ids)
    expect(used).toEqual([dispatch, dispatch])
    expect(await t.db.selectFrom('events').select('id').where('id', 'in', ids).execute()).toHaveLength(2)
    await t.db.deleteFrom('events').where('id', 'in', ids).execute()
  })

  it('fails the held outcomes with a dispatch that fails, and writes at once once told not to hold', async () => {
    const recorder = new Recorder(t.db, { holdMs: 600_000 })
    const lost = newId()
    const outcome = recorder.record((trx) => trx.insertInto('events').values(insertEvent(lost)).execute())
    let settle: ((error?: unknown) => void) | undefined
    const failure = new Error('the dispatch failed')
    await expect(
      t.db.transaction().execute(async (trx) => {
        settle = await recorder.writeWaiting(trx)
        throw failure
      }),
    ).rejects.toThrow(failure)
    settle?.(failure)
    await expect(outcome).rejects.toThrow(failure)
    expect(await t.db.selectFrom('events').select('id').where('id', '=', lost).execute()).toEqual([])

    const kept = newId()
    const next = recorder.record((trx) => trx.insertInto('events').values(insertEvent(kept)).execute())
    recorder.hold(false)
    await next
    expect(await t.db.selectFrom('events').select('id').where('id', '=', kept).execute()).toHaveLength(1)
    await t.db.deleteFrom('events').where('id', '=', kept).execute()
  })
})
