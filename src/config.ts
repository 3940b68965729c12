import { Ajv } from 'ajv'
import { Type, type Static, type TSchema } from 'typebox'
import { inProjectRoot } from './root.js'

// Every setting orgspace reads from the environment, with its default. Parsed once at start-up;
// a bad value stops the process with a message naming every offending variable and what it should be.
// docs/configuration.md documents each one: keep the two in step. A default written `./…` (`sqlite:./data/…`,
// `file:./data/…`, `./data/…`) is a path in the project's own folder, whatever the current folder (root.ts).

const onOff = (fallback: 'on' | 'off') =>
  Type.Union([Type.Literal('on'), Type.Literal('off')], { default: fallback })
const milliseconds = (minimum: number, maximum: number, fallback: number) =>
  Type.Integer({ minimum, maximum, default: fallback })

const EnvSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  DATABASE_URL: Type.String({
    pattern: '^(sqlite:.+|postgres(ql)?://.+)$',
    hint: 'sqlite:<path> or postgres://user@host:port/database',
    default: 'sqlite:./data/orgspace.db',
  }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  PURGE_WORKER: onOff('on'),
  /**
   * Seconds a deleted organization can still be restored before its purge starts. 0 is the seed's behaviour:
   * the purge starts at once and nothing can be restored.
   */
  DELETION_GRACE_SECONDS: Type.Integer({ minimum: 0, maximum: 31_536_000, default: 0 }),
  /** Seconds a purged organization's slug stays unusable after its purge (old links cannot be taken over). */
  SLUG_QUARANTINE_SECONDS: Type.Integer({ minimum: 0, maximum: 315_360_000, default: 0 }),
  /**
   * Milliseconds one purge batch may hold the database before the worker shrinks its batches. Unset: 10 on SQLite
   * (a batch holds the one write lock), 100 on PostgreSQL for the purge's own batches (see deletion/worker.ts).
   */
  PURGE_BATCH_TARGET_MS: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
  /** How often an idle purge worker looks for work (it is also woken directly by DELETE). */
  PURGE_POLL_MS: Type.Integer({ minimum: 10, maximum: 600_000, default: 2_000 }),
  /** How often a background worker says, at debug level, that it is alive and how many steps it took. */
  WORKER_HEARTBEAT_MS: Type.Integer({ minimum: 10, maximum: 3_600_000, default: 30_000 }),
  /** How long a purge worker's claim on a table survives without a heartbeat. */
  PURGE_LEASE_MS: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 10_000 }),
  /** Largest accepted request body, in bytes. */
  BODY_LIMIT: Type.Integer({ minimum: 1024, maximum: 100 * 1024 * 1024, default: 1024 * 1024 }),
  /** Largest accepted request line plus headers, in bytes (Node's own default is 16 KiB). */
  MAX_HEADER_SIZE: Type.Integer({ minimum: 1024, maximum: 1024 * 1024, default: 16 * 1024 }),
  /** Time a client has to send a whole request (headers and body): the bound on slow-upload clients. */
  REQUEST_TIMEOUT_MS: milliseconds(1_000, 3_600_000, 30_000),
  /** A socket with no traffic for this long is closed. */
  CONNECTION_TIMEOUT_MS: milliseconds(1_000, 3_600_000, 60_000),
  /** Idle keep-alive connections are closed after this; above common load balancers' 60 s on purpose. */
  KEEP_ALIVE_TIMEOUT_MS: milliseconds(1_000, 3_600_000, 72_000),
  /** On SIGTERM/SIGINT, how long in-flight requests may take before the process exits anyway. */
  SHUTDOWN_TIMEOUT_MS: milliseconds(100, 3_600_000, 10_000),
  /** Whose X-Forwarded-For to believe: false, true, a hop count, or addresses/CIDRs of the proxies. */
  TRUST_PROXY: Type.String({
    pattern: '^(true|false|[0-9]{1,2}|[A-Za-z0-9.:/]+( *, *[A-Za-z0-9.:/]+)*)$',
    hint: 'true, false, a number of proxy hops, or a comma-separated list of proxy addresses/CIDRs',
    default: 'false',
  }),
  /** Browser origins allowed to call the API cross-origin; empty = CORS off. */
  CORS_ORIGINS: Type.String({
    pattern: '^$|^https?://[^\\s,/]+( *, *https?://[^\\s,/]+)*$',
    hint: 'a comma-separated list of origins such as https://app.example.com',
    default: '',
  }),
  /** Where builds are kept: a folder, or an S3 bucket (and key prefix) reached through the S3_* settings. */
  STORAGE_URL: Type.String({
    pattern: '^(file:.+|s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^\\s]*)?)$',
    hint: 'file:<folder> or s3://<bucket>[/<prefix>]',
    default: 'file:./data/storage',
  }),
  /**
   * Where the deletion ledger is kept, outside the database: a folder, or an S3 bucket (and key prefix) reached
   * through the S3_* settings. It must survive what a database restore brings back (docs/api.md §12).
   */
  LEDGER_URL: Type.String({
    pattern: '^(file:.+|s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^\\s]*)?)$',
    hint: 'file:<folder> or s3://<bucket>[/<prefix>]',
    default: 'file:./data/ledger',
  }),
  /** The Ed25519 key deletion certificates are signed with; created at first start. Every process shares it. */
  SIGNING_KEY_FILE: Type.String({
    minLength: 1,
    hint: 'the path of a PEM file (created with mode 0600 when missing)',
    default: './data/keys/signing.pem',
  }),
  /** The address clients reach this service at: a certificate's issuer, where its JWKS is found. */
  PUBLIC_URL: Type.String({
    pattern: '^$|^https?://[^\\s/]+(/[^\\s]*)?$',
    hint: 'an http(s):// URL such as https://orgspace.example.com, or empty for http://HOST:PORT',
    default: '',
  }),
  /** An S3-compatible endpoint (MinIO, Ceph, R2, …); empty for AWS itself. */
  S3_ENDPOINT: Type.String({
    pattern: '^$|^https?://[^\\s]+$',
    hint: 'an http(s):// URL, or empty for AWS',
    default: '',
  }),
  /** Empty: AWS_REGION, else us-east-1. */
  S3_REGION: Type.String({
    pattern: '^$|^[a-z0-9-]+$',
    hint: 'a region name such as eu-west-1',
    default: '',
  }),
  /** Bucket in the path (http://host/bucket/key) rather than the host name; what most self-hosted servers need. */
  S3_FORCE_PATH_STYLE: Type.Union([Type.Literal('true'), Type.Literal('false')], { default: 'false' }),
  /** Largest accepted build, in bytes. */
  BUILD_MAX_BYTES: Type.Integer({ minimum: 1, maximum: 5 * 1024 ** 4, default: 2 * 1024 ** 3 }),
  /** Objects one purge step lists and removes before it records its progress (S3 removes at most 1000 at once). */
  PURGE_OBJECT_BATCH: Type.Integer({ minimum: 1, maximum: 1000, default: 1000 }),
  /**
   * The key every organization's data key is wrapped with (docs/api.md §13): 32 random bytes, created with mode 0600 at
   * first start when missing. Every process of one deployment must use the same file.
   */
  MASTER_KEY_FILE: Type.String({ minLength: 1, default: './data/keys/master.key' }),
  /** The master key itself, in base64, instead of MASTER_KEY_FILE; checked at start (src/encryption/master-key.ts). */
  MASTER_KEY: Type.String({ default: '' }),
  /** Seconds an export's archive can be downloaded after it completes; then it leaves storage. */
  EXPORT_TTL_SECONDS: Type.Integer({ minimum: 1, maximum: 31_536_000, default: 86_400 }),
  /** Seconds the answer to a write sent with an Idempotency-Key is kept, and replayed to its retries. */
  IDEMPOTENCY_TTL_SECONDS: Type.Integer({ minimum: 1, maximum: 31_536_000, default: 86_400 }),
  RATE_LIMIT: onOff('on'),
  /** Every limit below counts requests in a window of this length. */
  RATE_LIMIT_WINDOW_MS: milliseconds(1_000, 86_400_000, 60_000),
  /** Requests per window per API token (per client address for requests without a token). */
  RATE_LIMIT_PER_TOKEN: Type.Integer({ minimum: 1, maximum: 10_000_000, default: 600 }),
  /** Failed authentications (4002/4004/4005) per window per client address before it is refused outright. */
  RATE_LIMIT_AUTH_FAILURES: Type.Integer({ minimum: 1, maximum: 10_000_000, default: 30 }),
  /** DELETE /v1/organizations/:organizationId per window per token. */
  RATE_LIMIT_ORG_DELETE: Type.Integer({ minimum: 1, maximum: 10_000_000, default: 10 }),
  /** Live (unexpired) API tokens one user may hold; creating one more answers 409 until one is revoked. */
  TOKENS_PER_USER: Type.Integer({ minimum: 1, maximum: 100_000, default: 100 }),
  /** Whether the server also runs an event delivery worker (`orgspace worker` runs one too). */
  EVENT_WORKER: onOff('on'),
  /** How often an idle delivery worker looks for events and due retries (a write in the same process wakes it). */
  EVENT_POLL_MS: Type.Integer({ minimum: 10, maximum: 600_000, default: 1_000 }),
  /** The instance endpoint: receives every event of every organization. */
  WEBHOOK_URL: Type.String({
    pattern: '^$|^https?://[^\\s]+$',
    hint: 'an http:// or https:// URL',
    default: '',
  }),
  /** Signs what WEBHOOK_URL receives; required with it. */
  WEBHOOK_SECRET: Type.String({
    pattern: '^$|^whsec_[A-Za-z0-9+/]{32,}={0,2}$',
    hint: 'whsec_ followed by at least 24 random bytes in base64 (e.g. whsec_$(openssl rand -base64 32))',
    default: '',
  }),
  /** `true` lets organizations' endpoints point at private, loopback and link-local addresses. */
  WEBHOOK_ALLOW_PRIVATE: Type.Union([Type.Literal('true'), Type.Literal('false')], { default: 'false' }),
  /** One delivery attempt (connect, send, answer) may take this long. */
  WEBHOOK_TIMEOUT_MS: milliseconds(100, 120_000, 10_000),
  /** Deliveries one process has in flight at once. */
  WEBHOOK_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 256, default: 16 }),
  /** Mail for deletions goes out through this server; empty = no mail. */
  SMTP_URL: Type.String({
    pattern: '^$|^smtps?://.+$',
    hint: 'smtp://[user:password@]host:port or smtps://…',
    default: '',
  }),
  SMTP_FROM: Type.String({ minLength: 3, default: 'orgspace <no-reply@localhost>' }),
  /** With it, rate limits are shared by every process using this Redis; without, each process counts alone. */
  REDIS_URL: Type.String({
    pattern: '^$|^rediss?://.+$',
    hint: 'redis://[user:password@]host:port[/db] or rediss://…',
    default: '',
  }),
})

export type Config = Readonly<Static<typeof EnvSchema>>

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`)
    this.name = 'ConfigError'
  }
}

type SchemaInfo = TSchema & {
  type?: string
  anyOf?: { const?: unknown }[]
  minimum?: number
  maximum?: number
  minLength?: number
  hint?: string
}

const PROPERTIES = EnvSchema.properties as unknown as Record<string, SchemaInfo>

const INTEGER_KEYS = new Set(
  Object.entries(PROPERTIES)
    .filter(([, schema]) => schema.type === 'integer')
    .map(([key]) => key),
)

/** What a variable must look like, in words an operator can act on, derived from its schema. */
function expectation(schema: SchemaInfo | undefined, fallback: string): string {
  if (schema?.anyOf?.every((s) => s.const !== undefined))
    return `must be one of: ${schema.anyOf.map((s) => String(s.const)).join(', ')}`
  if (schema?.type === 'integer') return `must be a whole number from ${schema.minimum} to ${schema.maximum}`
  if (schema?.hint) return `must be ${schema.hint}`
  if (schema?.minLength) return 'must not be empty'
  return fallback
}

// AJV, which checks every request already, rather than a second validator: it keeps the start short.
let checkEnv: ReturnType<Ajv['compile']> | undefined

/** Reads the settings from `env` (process.env by default); throws ConfigError listing every bad variable. */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  overrides: Partial<Config> = {},
): Config {
  const raw: Record<string, unknown> = {}
  for (const key of Object.keys(PROPERTIES)) {
    const value = env[key]
    if (value === undefined || value === '') continue
    raw[key] = INTEGER_KEYS.has(key) && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value.trim()
  }
  const candidate: Record<string, unknown> = { ...raw, ...overrides }
  // One check of the whole environment fills in the defaults and reports every bad variable (allErrors).
  const check = (checkEnv ??= new Ajv({ useDefaults: true, allErrors: true, strict: false }).compile(
    EnvSchema,
  ))
  check(candidate)
  const firstIssue = new Map<string, string>()
  for (const issue of check.errors ?? []) {
    const key = issue.instancePath.split('/')[1]
    if (key !== undefined && !firstIssue.has(key)) firstIssue.set(key, issue.message ?? 'is invalid')
  }
  const problems: string[] = []
  for (const [key, schema] of Object.entries(PROPERTIES)) {
    const issue = firstIssue.get(key)
    if (issue === undefined) continue
    const shown = JSON.stringify(env[key] ?? candidate[key])
    problems.push(`${key}=${shown}: ${expectation(schema, issue)}`)
  }
  if (candidate.WEBHOOK_URL !== '' && candidate.WEBHOOK_SECRET === '')
    problems.push('WEBHOOK_SECRET: must be set when WEBHOOK_URL is (whsec_ followed by base64)')
  if (problems.length > 0) throw new ConfigError(problems)
  for (const key of Object.keys(PROPERTIES)) {
    const value = candidate[key]
    if (!(key in raw) && !(key in overrides) && typeof value === 'string')
      candidate[key] = inProjectRoot(value)
  }
  return Object.freeze(candidate as Static<typeof EnvSchema>)
}

/** TRUST_PROXY as Fastify's `trustProxy` takes it; a hop count trusts that many proxies nearest the server. */
export function trustProxy(config: Config): boolean | string | ((address: string, hop: number) => boolean) {
  if (config.TRUST_PROXY === 'true') return true
  if (config.TRUST_PROXY === 'false') return false
  if (/^\d+$/.test(config.TRUST_PROXY)) {
    const hops = Number(config.TRUST_PROXY)
    return (_address, hop) => hop < hops
  }
  return config.TRUST_PROXY
}

/** CORS_ORIGINS as a list; empty when CORS is off. */
export function corsOrigins(config: Config): string[] {
  return config.CORS_ORIGINS.split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '')
}

/** Who issues this deployment's certificates: PUBLIC_URL, or the server's own address. */
export function publicUrl(config: Pick<Config, 'PUBLIC_URL' | 'HOST' | 'PORT'>): string {
  return (config.PUBLIC_URL || `http://${config.HOST}:${config.PORT}`).replace(/\/+$/, '')
}
