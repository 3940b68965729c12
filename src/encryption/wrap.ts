import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import type { MasterKey } from './master-key.js'

// A data key wrapped by a master key: AES-256-GCM with a random nonce, the organization id as associated data, so a
// wrapped key copied onto another organization's row does not unwrap there. Stored as base64(nonce ‖ key ‖ tag).

const NONCE = 12
const TAG = 16

export function wrapDataKey(master: MasterKey, dataKey: Buffer, organizationId: string): string {
  const nonce = randomBytes(NONCE)
  const cipher = createCipheriv('aes-256-gcm', master.key, nonce)
  cipher.setAAD(Buffer.from(organizationId))
  const sealed = Buffer.concat([cipher.update(dataKey), cipher.final()])
  return Buffer.concat([nonce, sealed, cipher.getAuthTag()]).toString('base64')
}

/** The data key, or null when this master key did not wrap it for this organization (or the row was altered). */
export function unwrapDataKey(master: MasterKey, wrapped: string, organizationId: string): Buffer | null {
  const bytes = Buffer.from(wrapped, 'base64')
  if (bytes.length <= NONCE + TAG) return null
  const decipher = createDecipheriv('aes-256-gcm', master.key, bytes.subarray(0, NONCE))
  decipher.setAAD(Buffer.from(organizationId))
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG))
  try {
    return Buffer.concat([decipher.update(bytes.subarray(NONCE, bytes.length - TAG)), decipher.final()])
  } catch {
    return null
  }
}
