import { Type, type Static } from 'typebox'
import { Value } from 'typebox/value'

// Every setting orgspace reads from the environment, with its default. Parsed once at start-up;
// a bad value stops the process with a message naming every offending variable.
const EnvSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  DATABASE_URL: Type.String({
    pattern: '^(sqlite:.+|postgres(ql)?://.+)$',
    default: 'sqlite:./data/orgspace.db',
  }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  PURGE_WORKER: Type.Union([Type.Literal('on'), Type.Literal('off')], { default: 'on' }),
  /** Milliseconds one purge batch may hold the database before the worker shrinks its batches. */
  PURGE_BATCH_TARGET_MS: Type.Integer({ minimum: 1, maximum: 10_000, default: 10 }),
  /** How often an idle purge worker looks for work (it is also woken directly by DELETE). */
  PURGE_POLL_MS: Type.Integer({ minimum: 10, maximum: 600_000, default: 2_000 }),
  /** How long a purge worker's claim on a table survives without a heartbeat. */
  PURGE_LEASE_MS: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 30_000 }),
  /** Largest accepted request body, in bytes. */
  BODY_LIMIT: Type.Integer({ minimum: 1024, maximum: 100 * 1024 * 1024, default: 1024 * 1024 }),
})

export type Config = Readonly<Static<typeof EnvSchema>>

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`)
    this.name = 'ConfigError'
  }
}

const INTEGER_KEYS = new Set(
  Object.entries(EnvSchema.properties)
    .filter(([, schema]) => (schema as { type?: string }).type === 'integer')
    .map(([key]) => key),
)

/** Reads the settings from `env` (process.env by default); throws ConfigError listing every bad variable. */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  overrides: Partial<Config> = {},
): Config {
  const raw: Record<string, unknown> = {}
  for (const key of Object.keys(EnvSchema.properties)) {
    const value = env[key]
    if (value === undefined || value === '') continue
    raw[key] = INTEGER_KEYS.has(key) && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value
  }
  const candidate = Value.Default(EnvSchema, { ...raw, ...overrides }) as Record<string, unknown>
  const problems = [...Value.Errors(EnvSchema, candidate)].map((e) => {
    const key = e.instancePath.replace(/^\//, '') || 'environment'
    return `${key}=${JSON.stringify(env[key] ?? candidate[key])}: ${e.message}`
  })
  if (problems.length > 0) throw new ConfigError([...new Set(problems)])
  return Object.freeze(candidate as Static<typeof EnvSchema>)
}
