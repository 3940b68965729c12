import { randomBytes } from 'node:crypto'
import type { Db } from '../db/connect.js'
import { newId, nowIso } from '../db/ids.js'
import { AppError } from '../core/errors.js'
import { UnreadableObject } from './errors.js'
import type { MasterKeys } from './master-key.js'
import { findDataKey, insertDataKeyIfLive, type DataKeyRow } from './repository.js'
import { unwrapDataKey, wrapDataKey } from './wrap.js'

// Every organization's data key, unwrapped when needed and never cached: a key the purge destroyed is gone for every
// process at once, since each read asks the database.

const DATA_KEY_BYTES = 32

export class Keyring {
  constructor(
    private readonly db: Db,
    readonly masterKeys: MasterKeys,
  ) {}

  /**
   * The key new objects of the organization are encrypted with, created on its first use. An organization that is
   * gone or being deleted gets none: 3001, as any other write into it.
   */
  async keyFor(organizationId: string): Promise<Buffer> {
    const found = await findDataKey(this.db, organizationId)
    if (found) return this.unwrap(found, organizationId)
    await this.provision(organizationId)
    const created = await findDataKey(this.db, organizationId)
    if (!created) throw AppError.notFound()
    return this.unwrap(created, organizationId)
  }

  /** Gives a live organization its key if it has none (at its creation; a concurrent first use keeps one). */
  async provision(organizationId: string): Promise<void> {
    const master = this.masterKeys.current()
    await insertDataKeyIfLive(this.db, {
      organization_id: organizationId,
      id: newId(),
      wrapped_key: wrapDataKey(master, randomBytes(DATA_KEY_BYTES), organizationId),
      master_key_id: master.id,
      created_at: nowIso(),
    })
  }

  /** The key an existing object is decrypted with; null when the organization has none (its key was destroyed). */
  async existingKey(organizationId: string): Promise<Buffer | null> {
    const found = await findDataKey(this.db, organizationId)
    return found ? this.unwrap(found, organizationId) : null
  }

  private unwrap(row: DataKeyRow, organizationId: string): Buffer {
    const master = this.masterKeys.byId(row.master_key_id)
    const key = master && unwrapDataKey(master, row.wrapped_key, organizationId)
    if (!key) throw new UnreadableObject(`${organizationId}/`, 'key-unusable')
    return key
  }
}
