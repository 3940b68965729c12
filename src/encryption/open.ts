import type { Db } from '../db/connect.js'
import type { ObjectStorage } from '../storage/storage.js'
import { Keyring } from './keyring.js'
import { MasterKeys, type MasterKeySettings } from './master-key.js'
import { SealedStorage } from './sealed-storage.js'

/** `storage` as every process but the purge uses it: encrypting on the way in, decrypting on the way out. */
export function sealStorage(storage: ObjectStorage, db: Db, settings: MasterKeySettings): SealedStorage {
  return new SealedStorage(storage, new Keyring(db, MasterKeys.load(settings)))
}
