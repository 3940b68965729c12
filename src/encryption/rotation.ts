import { renameSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { Db } from '../db/connect.js'
import {
  createKeyFile,
  nextKeyFile,
  readKeyFile,
  syncFolder,
  type MasterKey,
  type MasterKeys,
} from './master-key.js'
import { countKeysNotWrappedBy, keysNotWrappedBy, rewrapDataKey } from './repository.js'
import { unwrapDataKey, wrapDataKey } from './wrap.js'

// `orgspace keys rotate-master`: every data key is re-wrapped under a new master key, then the old one is destroyed,
// so a database backup taken before the rotation (holding the wrapped keys of workspaces deleted since) unwraps
// nothing any more. Resumable: the new key waits beside the old one (`<file>.next`) until every data key is
// wrapped by it, so a rotation interrupted at any point is finished by running it again.

export class RotationRefused extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'RotationRefused'
  }
}

export interface RotationResult {
  rewrapped: number
  oldKeyId: string | null
  newKeyId: string
}

const BATCH = 500

export async function rotateMasterKey(
  db: Db,
  masterKeys: MasterKeys,
  onProgress: (done: number, total: number) => void = () => undefined,
): Promise<RotationResult> {
  const file = masterKeys.keyFile
  if (file === null)
    throw new RotationRefused(
      'MASTER_KEY is set: rotation replaces the key in MASTER_KEY_FILE; unset MASTER_KEY',
    )
  const old = readKeyFile(file)
  const next = readKeyFile(nextKeyFile(file)) ?? createKeyFile(nextKeyFile(file))
  let done = 0
  const total = await countKeysNotWrappedBy(db, next.id)
  await rewrapAll(db, masterKeys, next, () => onProgress(++done, Math.max(total, done)))
  // Read before the old key goes: a process that read it just before the rename may wrap one more key with it.
  const last = old && masterKeys.byId(old.id)
  renameSync(nextKeyFile(file), file)
  syncFolder(dirname(resolve(file)))
  done += await rewrapAll(db, masterKeys, next, () => undefined, last)
  onProgress(done, done)
  return { rewrapped: done, oldKeyId: old?.id ?? null, newKeyId: next.id }
}

/** Re-wraps under `next` every key wrapped by another master key, until none is left. */
async function rewrapAll(
  db: Db,
  masterKeys: MasterKeys,
  next: MasterKey,
  onKey: () => void = () => undefined,
  /** A key no longer on disk that may still have wrapped a data key. */
  retired?: MasterKey | null,
): Promise<number> {
  let count = 0
  for (;;) {
    let after = ''
    let found = 0
    for (;;) {
      const rows = await keysNotWrappedBy(db, next.id, after, BATCH)
      if (rows.length === 0) break
      await db.transaction().execute(async (trx) => {
        for (const row of rows) {
          const master = retired?.id === row.master_key_id ? retired : masterKeys.byId(row.master_key_id)
          const dataKey = master && unwrapDataKey(master, row.wrapped_key, row.organization_id)
          if (!dataKey)
            throw new RotationRefused(
              `the data key of organization ${row.organization_id} is wrapped by master key ${row.master_key_id}, which this process does not have`,
            )
          await rewrapDataKey(trx, row, wrapDataKey(next, dataKey, row.organization_id), next.id)
          onKey()
        }
      })
      found += rows.length
      after = rows[rows.length - 1]?.organization_id ?? after
    }
    count += found
    if (found === 0) return count
  }
}
