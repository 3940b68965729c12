import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ConfigError, corsOrigins, loadConfig, trustProxy } from '../../src/config.js'

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env)
  } catch (error) {
    if (error instanceof ConfigError) return error.problems
    throw error
  }
  throw new Error('expected a ConfigError')
}

/** The checkout this test is in, with a trailing slash. */
const PROJECT = fileURLToPath(new URL('../../', import.meta.url))

describe('configuration', () => {
  it("puts every default path in the project's own folder; a path given stays as given (relative to the cwd)", () => {
    const defaults = loadConfig({})
    expect(defaults.DATABASE_URL).toBe(`sqlite:${PROJECT}data/orgspace.db`)
    expect(defaults.STORAGE_URL).toBe(`file:${PROJECT}data/storage`)
    // Every default, not only these two: none is left relative to wherever the process was started.
    for (const [key, value] of Object.entries(defaults))
      if (typeof value === 'string') expect(value, key).not.toMatch(/^([a-z]+:)?\.\//)
    const given = loadConfig({ DATABASE_URL: 'sqlite:./here.db', STORAGE_URL: 'file:./files' })
    expect([given.DATABASE_URL, given.STORAGE_URL]).toEqual(['sqlite:./here.db', 'file:./files'])
    expect(loadConfig({}, { DATABASE_URL: 'sqlite:./given.db' }).DATABASE_URL).toBe('sqlite:./given.db')
  })

  it('has a default for everything, and the defaults are frozen', () => {
    const config = loadConfig({})
    expect(config).toMatchObject({
      PORT: 8080,
      HOST: '127.0.0.1',
      DATABASE_URL: `sqlite:${PROJECT}data/orgspace.db`,
      RATE_LIMIT: 'on',
      RATE_LIMIT_PER_TOKEN: 600,
      RATE_LIMIT_AUTH_FAILURES: 30,
      RATE_LIMIT_ORG_DELETE: 10,
      CORS_ORIGINS: '',
      REDIS_URL: '',
    })
    expect(Object.isFrozen(config)).toBe(true)
    expect(() => {
      ;(config as { PORT: number }).PORT = 1
    }).toThrow()
  })

  it('reads numbers, enums and lists from strings', () => {
    const config = loadConfig({
      PORT: ' 0 ',
      LOG_LEVEL: 'debug',
      RATE_LIMIT: 'off',
      SHUTDOWN_TIMEOUT_MS: '2500',
      CORS_ORIGINS: 'https://a.example.com, http://localhost:5173',
      TRUST_PROXY: '2',
      REDIS_URL: 'redis://127.0.0.1:6379/0',
    })
    expect(config.PORT).toBe(0)
    expect(config.SHUTDOWN_TIMEOUT_MS).toBe(2500)
    expect(corsOrigins(config)).toEqual(['https://a.example.com', 'http://localhost:5173'])
    const trust = trustProxy(config)
    expect(typeof trust).toBe('function')
    if (typeof trust === 'function')
      expect([trust('x', 0), trust('x', 1), trust('x', 2)]).toEqual([true, true, false])
    expect(trustProxy(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }))).toBe('10.0.0.0/8, 127.0.0.1')
    expect(trustProxy(loadConfig({}))).toBe(false)
  })

  it('names every bad variable once, with what it must be', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
      DATABASE_URL: 'mysql://x',
      RATE_LIMIT: 'maybe',
      RATE_LIMIT_PER_TOKEN: '0',
      SHUTDOWN_TIMEOUT_MS: '1.5',
      CORS_ORIGINS: 'example.com',
      REDIS_URL: 'localhost:6379',
      TRUST_PROXY: 'yes please',
    })
    expect(problems).toEqual([
      'PORT="eighty": must be a whole number from 0 to 65535',
      'DATABASE_URL="mysql://x": must be sqlite:<path> or postgres://user@host:port/database',
      'LOG_LEVEL="loud": must be one of: fatal, error, warn, info, debug, trace, silent',
      'SHUTDOWN_TIMEOUT_MS="1.5": must be a whole number from 100 to 3600000',
      'TRUST_PROXY="yes please": must be true, false, a number of proxy hops, or a comma-separated list of proxy addresses/CIDRs',
      'CORS_ORIGINS="example.com": must be a comma-separated list of origins such as https://app.example.com',
      'RATE_LIMIT="maybe": must be one of: on, off',
      'RATE_LIMIT_PER_TOKEN="0": must be a whole number from 1 to 10000000',
      'REDIS_URL="localhost:6379": must be redis://[user:password@]host:port[/db] or rediss://…',
    ])
    const error = (() => {
      try {
        loadConfig({ LOG_LEVEL: 'loud', PORT: '-1' })
      } catch (e) {
        return e as Error
      }
    })()
    expect(error?.message).toBe(
      'invalid configuration:\n' +
        '  PORT="-1": must be a whole number from 0 to 65535\n' +
        '  LOG_LEVEL="loud": must be one of: fatal, error, warn, info, debug, trace, silent',
    )
  })

  it('documents every variable in docs/configuration.md', () => {
    const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8')
    for (const key of Object.keys(loadConfig({}))) expect(doc, key).toContain(`\`${key}\``)
  })
})
