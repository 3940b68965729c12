import { createPublicKey, verify } from 'node:crypto'
import type { PublicJwk, SigningKeys } from './signing-keys.js'

// Compact JWS (RFC 7515) with EdDSA: what a deletion certificate is, so that any JOSE library verifies it.

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

/** `claims` signed as a JWT with the deployment's signing key. */
export async function signJwt(claims: object, keys: SigningKeys): Promise<string> {
  const { kid } = (await keys.ring()).signing
  const input = `${encode({ alg: 'EdDSA', kid, typ: 'JWT' })}.${encode(claims)}`
  const { signature } = await keys.sign(Buffer.from(input))
  return `${input}.${signature.toString('base64url')}`
}

/** Why a token was refused, in words for the one who checks it. */
export class InvalidToken extends Error {
  constructor(reason: string) {
    super(reason)
    this.name = 'InvalidToken'
  }
}

const BASE64URL = /^[A-Za-z0-9_-]+$/

function decodeJson(part: string, what: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))
    if (value !== null && typeof value === 'object' && !Array.isArray(value))
      return value as Record<string, unknown>
  } catch {
    // reported below
  }
  throw new InvalidToken(`malformed: the ${what} is not a base64url JSON object`)
}

/** The claims of a compact JWS whose EdDSA signature verifies with one of `keys`; throws InvalidToken. */
export function verifyJwt(token: string, keys: readonly Partial<PublicJwk>[]): Record<string, unknown> {
  const parts = token.trim().split('.')
  if (parts.length !== 3 || !parts.every((part) => BASE64URL.test(part)))
    throw new InvalidToken('malformed: not a compact JWS (three base64url parts)')
  const [header = '', payload = '', signature = ''] = parts
  const { alg, kid } = decodeJson(header, 'header')
  if (alg !== 'EdDSA') throw new InvalidToken(`unsupported algorithm ${JSON.stringify(alg)}`)
  const jwk = keys.find((key) => key.kid === kid)
  if (typeof kid !== 'string' || !jwk) throw new InvalidToken(`unknown kid ${JSON.stringify(kid)}`)
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string')
    throw new InvalidToken(`key ${kid} is not an Ed25519 key`)
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' })
  const signed = Buffer.from(`${header}.${payload}`)
  if (!verify(null, signed, key, Buffer.from(signature, 'base64url'))) throw new InvalidToken('bad signature')
  return decodeJson(payload, 'payload')
}
