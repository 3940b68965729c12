import { publicUrl, type Config } from '../config.js'
import { StartupError } from '../startup-error.js'
import type { StorageSettings } from '../storage/storage.js'
import { Ledger, ledgerSettings } from './ledger.js'
import { SigningKeys } from './signing-keys.js'

// What proving deletions needs in a process — the ledger and the signing key — described by settings that cross
// into the purge thread (functions and open handles cannot), and opened from them wherever they are used.

export interface ProofSettings {
  ledger: StorageSettings
  keyFile: string
  /** The certificates' `iss`: PUBLIC_URL, or the server's own address. */
  issuer: string
}

export function proofSettings(config: Config): ProofSettings {
  return { ledger: ledgerSettings(config), keyFile: config.SIGNING_KEY_FILE, issuer: publicUrl(config) }
}

export interface Proof {
  ledger: Ledger
  keys: SigningKeys
  issuer: string
}

/** Opens the ledger and reads (or creates) the signing key: either failing is a start-up error. */
export async function openProof(settings: ProofSettings): Promise<Proof> {
  const ledger = await Ledger.open(settings.ledger)
  const keys = new SigningKeys(settings.keyFile)
  try {
    await keys.ring()
  } catch (error) {
    await ledger.close()
    const cause = error instanceof Error ? error.message : String(error)
    throw new StartupError(`cannot use the signing key ${keys.file}: ${cause}`, 'SIGNING_KEY_FILE', {
      cause: error,
    })
  }
  return { ledger, keys, issuer: settings.issuer }
}
