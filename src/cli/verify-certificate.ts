import { readFile } from 'node:fs/promises'
import { InvalidToken, verifyJwt } from '../deletion/jws.js'
import type { PublicJwk } from '../deletion/signing-keys.js'
import { CliError } from './errors.js'

// `orgspace certificate verify`: checks a deletion certificate as a third party would, with the JWKS alone —
// a saved file makes it fully offline — and says what it proves in words.

async function loadJwks(source: string): Promise<Partial<PublicJwk>[]> {
  let text: string
  try {
    if (/^https?:\/\//.test(source)) {
      const response = await fetch(source, { signal: AbortSignal.timeout(10_000) })
      if (!response.ok) throw new Error(`HTTP ${response.status}`)
      text = await response.text()
    } else text = await readFile(source, 'utf8')
  } catch (error) {
    throw new CliError(
      `cannot read the JWKS ${source}: ${error instanceof Error ? error.message : String(error)}`,
    )
  }
  try {
    const { keys } = JSON.parse(text) as { keys?: unknown }
    if (Array.isArray(keys)) return keys as Partial<PublicJwk>[]
  } catch {
    // reported below
  }
  throw new CliError(`${source} is not a JWKS (a JSON object with "keys")`)
}

/** The issuer a certificate names, read before its signature is checked (only to find its JWKS). */
function issuerOf(token: string): string {
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      iss?: unknown
    }
    if (typeof claims.iss === 'string' && /^https?:\/\//.test(claims.iss)) return claims.iss
  } catch {
    // reported below
  }
  throw new CliError('invalid certificate: malformed (no issuer to fetch the JWKS from; pass --jwks)')
}

interface Claims {
  iss?: unknown
  sub?: unknown
  jti?: unknown
  organization?: { slug?: unknown }
  requestedBy?: unknown
  requestedAt?: unknown
  completedAt?: unknown
  removed?: Record<string, unknown>
  verification?: {
    checkedAt?: unknown
    tables?: Record<string, unknown>
    storage?: { prefix?: unknown; objects?: unknown }
  }
  erasure?: { database?: unknown; storage?: unknown }
  ledger?: unknown
  software?: { name?: unknown; version?: unknown }
  replayOf?: unknown
}

function isDeletionCertificate(claims: Claims): boolean {
  return (
    typeof claims.sub === 'string' &&
    typeof claims.jti === 'string' &&
    claims.software?.name === 'orgspace' &&
    typeof claims.verification?.tables === 'object' &&
    typeof claims.completedAt === 'string'
  )
}

/** The claims in words, one fact a line. */
function describeCertificate(claims: Claims): string {
  const tables = Object.entries(claims.verification?.tables ?? {})
  const removed = Object.entries(claims.removed ?? {})
    .map(([name, n]) => `${name} ${String(n)}`)
    .join(', ')
  return [
    `Organization ${String(claims.sub)} (${String(claims.organization?.slug ?? '')}) was deleted permanently.`,
    `Deletion ${String(claims.jti)}, requested by user ${String(claims.requestedBy)} at ${String(claims.requestedAt)}, completed at ${String(claims.completedAt)}.`,
    ...(claims.replayOf
      ? [`It deleted again what a restored backup brought back (deletion ${String(claims.replayOf)}).`]
      : []),
    `Removed: ${removed || 'nothing'}.`,
    `Verified at ${String(claims.verification?.checkedAt)}: ${tables.length} tables hold no row of it; storage ${String(claims.verification?.storage?.prefix)} holds ${String(claims.verification?.storage?.objects)} objects.`,
    `Erasure: database ${String(claims.erasure?.database)}, storage ${String(claims.erasure?.storage)}.`,
    `Tombstone: ${String(claims.ledger)}.`,
    `Issued by ${String(claims.iss)}, ${String(claims.software?.name)} ${String(claims.software?.version)}.`,
  ].join('\n')
}

/** Verifies the certificate in `file`; throws a CliError with the reason when it is not valid. */
export async function verifyCertificateFile(file: string, jwks?: string): Promise<string> {
  let token: string
  try {
    token = (await readFile(file, 'utf8')).trim()
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`)
  }
  const keys = await loadJwks(jwks ?? `${issuerOf(token)}/.well-known/jwks.json`)
  let claims: Claims
  try {
    claims = verifyJwt(token, keys) as Claims
  } catch (error) {
    if (error instanceof InvalidToken) throw new CliError(`invalid certificate: ${error.message}`)
    throw error
  }
  if (!isDeletionCertificate(claims)) throw new CliError('invalid certificate: not a deletion certificate')
  return describeCertificate(claims)
}
