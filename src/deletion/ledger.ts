import { Readable } from 'node:stream'
import type { Config } from '../config.js'
import { StartupError } from '../startup-error.js'
import { openStorage, storageSettings } from '../storage/open.js'
import type { ObjectStorage, StorageSettings } from '../storage/storage.js'

// The deletion ledger (docs/api.md §12): append-only storage outside the database (LEDGER_URL), kept through the
// storage abstraction builds use. It holds a tombstone per deletion whose purge started and the certificate of each
// completed one, so a database restored from a backup taken before a deletion can be told what it must delete again.
//
// A tombstone's fields are all in its key, so comparing the ledger with the database needs one listing and no
// object reads: start-up stays fast with a hundred thousand tombstones. The object holds the same fields as JSON,
// for a person reading the ledger.

/** What a tombstone records: ids only, never a name or an email. */
export interface Tombstone {
  deletionId: string
  organizationId: string
  requestedBy: string
  requestedAt: string
}

const TOMBSTONES = 'tombstones/'
const CERTIFICATES = 'certificates/'
const ID = '[a-f0-9]{24}'
const TOMBSTONE_KEY = new RegExp(`^${TOMBSTONES}(${ID})\\.(${ID})\\.(${ID})\\.(\\d{1,15})\\.json$`)

function tombstoneKey(t: Tombstone): string {
  return `${TOMBSTONES}${t.organizationId}.${t.deletionId}.${t.requestedBy}.${Date.parse(t.requestedAt)}.json`
}

function parseTombstoneKey(key: string): Tombstone | null {
  const match = TOMBSTONE_KEY.exec(key)
  if (!match?.[1] || !match[2] || !match[3] || !match[4]) return null
  return {
    organizationId: match[1],
    deletionId: match[2],
    requestedBy: match[3],
    requestedAt: new Date(Number(match[4])).toISOString(),
  }
}

/** The storage settings of LEDGER_URL; an s3:// ledger uses the same S3_* settings as STORAGE_URL. */
export function ledgerSettings(
  config: Pick<Config, 'LEDGER_URL' | 'S3_ENDPOINT' | 'S3_REGION' | 'S3_FORCE_PATH_STYLE'>,
) {
  return storageSettings({ ...config, STORAGE_URL: config.LEDGER_URL })
}

/** Where a ledger object is, as a URL an operator can find it at. */
function locationOf(settings: StorageSettings, key: string): string {
  if (settings.kind === 'file') return `file:${settings.root}/${key}`
  return `s3://${settings.bucket}/${settings.prefix === '' ? '' : `${settings.prefix}/`}${key}`
}

export class Ledger {
  private constructor(readonly storage: ObjectStorage) {}

  /** Opens the ledger; one that cannot be opened is a start-up error naming LEDGER_URL. */
  static async open(settings: StorageSettings): Promise<Ledger> {
    try {
      return new Ledger(await openStorage(settings))
    } catch (error) {
      throw unreadable(settings, error)
    }
  }

  get description(): string {
    return this.storage.description
  }

  /** Where the tombstone of this deletion is kept (a certificate names it). */
  tombstoneLocation(tombstone: Tombstone): string {
    return locationOf(this.storage.settings, tombstoneKey(tombstone))
  }

  /** Writes the tombstone; writing it again (a resumed purge) writes the same object. */
  async writeTombstone(tombstone: Tombstone): Promise<void> {
    await this.put(tombstoneKey(tombstone), JSON.stringify(tombstone))
  }

  async writeCertificate(deletionId: string, certificate: string): Promise<void> {
    await this.put(`${CERTIFICATES}${deletionId}.jwt`, certificate)
  }

  /**
   * Writes an object whose content its key decides. Two workers may write the same one at once (a shared purge):
   * when this write fails and the object is there, the other wrote it, and that is the same write.
   */
  private async put(key: string, text: string): Promise<void> {
    try {
      await this.storage.put(key, Readable.from([Buffer.from(text)]), 'application/json')
    } catch (error) {
      const written = await this.storage.get(key).catch(() => null)
      if (!written) throw error
      written.destroy()
    }
  }

  /** Every tombstone, from one listing. Throws (a StorageUnavailable) when the ledger cannot be listed. */
  async tombstones(): Promise<Tombstone[]> {
    const found: Tombstone[] = []
    for await (const page of this.storage.keys(TOMBSTONES)) {
      for (const key of page) {
        const tombstone = parseTombstoneKey(key)
        if (tombstone) found.push(tombstone)
      }
    }
    return found
  }

  async close(): Promise<void> {
    await this.storage.close()
  }
}

/** A ledger that cannot be read at start: the process must not start without it (never a silent skip). */
export function unreadable(settings: StorageSettings, error: unknown): StartupError {
  const where = settings.kind === 'file' ? `file:${settings.root}` : locationOf(settings, '')
  const cause = error instanceof Error ? error.message : String(error)
  return new StartupError(`cannot read the deletion ledger at ${where}: ${cause}`, 'LEDGER_URL', {
    cause: error,
  })
}
