import { createHash, createPublicKey, verify } from 'node:crypto'
import { sql } from 'kysely'
import type { Db } from '../../src/db/connect.js'
import { dialect } from './app.js'

// An independent verifier of deletion certificates, as a third party writes one: node:crypto and the JWKS, nothing
// of orgspace's signing code. And the catalog's list of tables with an organization_id column, read here rather
// than through the purge's own discovery.

export interface Jwk {
  kty: string
  crv: string
  x: string
  kid: string
  alg: string
  use: string
}

/** RFC 7638, written out from the RFC: SHA-256 over {"crv","kty","x"} in that order, base64url. */
export function rfc7638(jwk: { crv: string; kty: string; x: string }): string {
  const members = `{"crv":"${jwk.crv}","kty":"${jwk.kty}","x":"${jwk.x}"}`
  return createHash('sha256').update(members).digest('base64url')
}

/** The header and claims of a compact JWS whose EdDSA signature verifies with a key of `jwks`; throws otherwise. */
export function verifyIndependently(token: string, jwks: { keys: Jwk[] }) {
  const [header, payload, signature] = token.split('.')
  if (!header || !payload || !signature) throw new Error('not three parts')
  const head = JSON.parse(Buffer.from(header, 'base64url').toString()) as {
    alg: string
    kid: string
    typ: string
  }
  const jwk = jwks.keys.find((k) => k.kid === head.kid)
  if (!jwk) throw new Error(`no key ${head.kid}`)
  const key = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: 'jwk' })
  if (!verify(null, Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url')))
    throw new Error('signature does not verify')
  return {
    header: head,
    claims: JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, any>,
  }
}

/** Tables with an organization_id column, from the database's own catalog. */
export async function catalogTenantTables(db: Db): Promise<string[]> {
  const { rows } =
    dialect === 'postgres'
      ? await sql<{ name: string }>`select table_name as name from information_schema.columns
          where column_name = 'organization_id' and table_schema = current_schema()`.execute(db)
      : await sql<{ name: string }>`select m.name as name from sqlite_master m, pragma_table_info(m.name) c
          where m.type = 'table' and c.name = 'organization_id'`.execute(db)
  return rows.map((r) => r.name).sort()
}
