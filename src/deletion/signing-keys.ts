import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  type KeyObject,
} from 'node:crypto'
import { chmod, link, mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'

// The Ed25519 keys deletion certificates are signed with (docs/api.md §11), in one PEM file (SIGNING_KEY_FILE) that
// every process of a deployment shares: the signing key as a PRIVATE KEY block, and the public halves of the keys
// it replaced as PUBLIC KEY blocks, so certificates signed before a rotation still verify against the JWKS while
// the retired private keys are gone for good.

/** A public key as a JWK (RFC 8037), as the JWKS publishes it. */
export interface PublicJwk {
  kty: 'OKP'
  crv: 'Ed25519'
  x: string
  kid: string
  alg: 'EdDSA'
  use: 'sig'
}

const BLOCK = /-----BEGIN (PRIVATE|PUBLIC) KEY-----[\s\S]+?-----END \1 KEY-----/g

const base64url = (bytes: Buffer) => bytes.toString('base64url')

/** RFC 7638: the SHA-256 of the key's required members, in lexicographic order and without whitespace. */
function thumbprint(x: string): string {
  return base64url(
    createHash('sha256')
      .update(JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x }))
      .digest(),
  )
}

function publicJwk(key: KeyObject): PublicJwk {
  const { x } = key.export({ format: 'jwk' })
  if (typeof x !== 'string') throw new Error('not an Ed25519 key')
  return { kty: 'OKP', crv: 'Ed25519', x, kid: thumbprint(x), alg: 'EdDSA', use: 'sig' }
}

export interface KeyRing {
  /** The key that signs, and its kid. */
  signing: { key: KeyObject; kid: string }
  /** Every public key, the signing key's first. */
  published: PublicJwk[]
}

function parse(pem: string, file: string): KeyRing {
  let signing: KeyRing['signing'] | undefined
  const retired: PublicJwk[] = []
  for (const [block, kind] of pem.matchAll(BLOCK)) {
    if (kind === 'PRIVATE') {
      if (signing) throw new Error(`${file} holds more than one private key`)
      const key = createPrivateKey(block)
      if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${file}: the private key is not Ed25519`)
      signing = { key, kid: publicJwk(createPublicKey(key)).kid }
    } else retired.push(publicJwk(createPublicKey(block)))
  }
  if (!signing) throw new Error(`${file} holds no private key`)
  const current = publicJwk(createPublicKey(signing.key))
  return { signing, published: [current, ...retired.filter((jwk) => jwk.kid !== current.kid)] }
}

function newPrivateKey(): KeyObject {
  return generateKeyPairSync('ed25519').privateKey
}

const pemOf = (key: KeyObject) => key.export({ format: 'pem', type: 'pkcs8' }).toString()
const publicPemOf = (key: KeyObject) =>
  createPublicKey(key).export({ format: 'pem', type: 'spki' }).toString()

/** Writes `text` to `file` at once (a reader sees the old file or the new one), readable by its owner only. */
async function replaceFile(file: string, text: string): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`
  await writeFile(temporary, text, { mode: 0o600, flush: true })
  await chmod(temporary, 0o600)
  await rename(temporary, file)
}

/**
 * The key file, read again whenever it changes (a rotation by `orgspace keys rotate` reaches running processes
 * without a restart). Created at first use when missing: several processes starting together agree on one key,
 * because the file appears through link(), which fails when another process created it first.
 */
export class SigningKeys {
  readonly file: string
  private cached: { mtimeMs: number; size: number; ring: KeyRing } | undefined

  constructor(file: string) {
    this.file = resolve(file)
  }

  async ring(): Promise<KeyRing> {
    const found = await stat(this.file).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null
      throw error
    })
    if (!found) {
      await this.create()
      return this.ring()
    }
    if (this.cached?.mtimeMs === found.mtimeMs && this.cached.size === found.size) return this.cached.ring
    const ring = parse(await readFile(this.file, 'utf8'), this.file)
    this.cached = { mtimeMs: found.mtimeMs, size: found.size, ring }
    return ring
  }

  private async create(): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true, mode: 0o700 })
    const temporary = `${this.file}.${process.pid}.new`
    await writeFile(temporary, pemOf(newPrivateKey()), { mode: 0o600, flush: true })
    try {
      await link(temporary, this.file)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    } finally {
      await unlink(temporary).catch(() => undefined)
    }
  }

  /** The JWKS: every public key ever used by this deployment. */
  async jwks(): Promise<{ keys: PublicJwk[] }> {
    return { keys: (await this.ring()).published }
  }

  /** Signs `data` (a JWS signing input) with the signing key. */
  async sign(data: Buffer): Promise<{ kid: string; signature: Buffer }> {
    const { signing } = await this.ring()
    return { kid: signing.kid, signature: sign(null, data, signing.key) }
  }

  /** Makes a new key the signing key; the old one's public half stays published. Returns the new kid. */
  async rotate(): Promise<string> {
    const ring = await this.ring()
    const next = newPrivateKey()
    const retired = await readFile(this.file, 'utf8')
    const publicBlocks = [...retired.matchAll(BLOCK)]
      .filter(([, kind]) => kind === 'PUBLIC')
      .map(([block]) => `${block}\n`)
    await replaceFile(this.file, [pemOf(next), publicPemOf(ring.signing.key), ...publicBlocks].join(''))
    this.cached = undefined
    return (await this.ring()).signing.kid
  }
}
