import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { buildTestApp, type TestApp } from '../support/app.js'
import { createUser } from '../support/factories.js'
import { freePort } from '../support/pg-cluster.js'

// Two app instances (two processes, as far as the limiter can tell) sharing one Redis share one budget.
// The Redis is a real redis-server started here on a free loopback port and killed afterwards.

const redisAvailable = spawnSync('redis-server', ['--version']).status === 0
if (!redisAvailable) {
  const message = 'redis-server is not installed: the shared (Redis) rate limit tests are SKIPPED'
  if (process.env.CI === 'true') throw new Error(`${message} — refusing to pass in CI`)
  console.warn(`\n${'!'.repeat(message.length)}\n${message}\n${'!'.repeat(message.length)}\n`)
}

async function startRedis(port: number): Promise<ChildProcess> {
  const redis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  let output = ''
  await new Promise<void>((resolve, reject) => {
    redis.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('Ready to accept connections')) resolve()
    })
    redis.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)))
  })
  return redis
}

async function stopRedis(redis: ChildProcess | undefined): Promise<void> {
  if (!redis || redis.exitCode !== null || redis.signalCode !== null) return
  redis.kill('SIGKILL')
  await once(redis, 'exit')
}

describe.runIf(redisAvailable)('rate limits shared through Redis', () => {
  let redis: ChildProcess | undefined
  let redisUrl: string
  let first: TestApp
  let second: FastifyInstance
  const env = {
    RATE_LIMIT: 'on',
    RATE_LIMIT_PER_TOKEN: '6',
    RATE_LIMIT_AUTH_FAILURES: '4',
  }

  beforeAll(async () => {
    const port = await freePort()
    redis = await startRedis(port)
    redisUrl = `redis://127.0.0.1:${port}`
    first = await buildTestApp({ ...env, REDIS_URL: redisUrl })
    // A second instance of the service on the same database and the same Redis.
    second = await buildApp({ config: first.config, database: first.database })
    await second.ready()
  })
  afterAll(async () => {
    await second?.close()
    await first?.close()
    await stopRedis(redis)
  })

  const get = (app: FastifyInstance, token: string | null, address: string) =>
    app.inject({
      url: '/v1/users/me',
      remoteAddress: address,
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
    })

  it('spends one per-token budget across both instances', async () => {
    const alice = await createUser(first, 'alice')
    const statuses: number[] = []
    for (let i = 0; i < 6; i++)
      statuses.push((await get(i % 2 === 0 ? first.app : second, alice.token, '198.51.100.1')).statusCode)
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200])
    const over = [
      await get(first.app, alice.token, '198.51.100.1'),
      await get(second, alice.token, '198.51.100.2'),
    ]
    for (const reply of over) {
      expect(reply.statusCode).toBe(429)
      expect(reply.json().error.code).toBe(4029)
      expect(Number(reply.headers['retry-after'])).toBeGreaterThanOrEqual(1)
    }
  })

  it('spends one failed-authentication budget across both instances', async () => {
    const bob = await createUser(first, 'bob')
    const address = '198.51.100.3'
    for (let i = 0; i < 4; i++)
      expect((await get(i % 2 === 0 ? first.app : second, 'bad', address)).statusCode).toBe(401)
    expect((await get(first.app, bob.token, address)).statusCode).toBe(429)
    expect((await get(second, bob.token, address)).statusCode).toBe(429)
  })

  it('keeps serving, uncounted, while Redis is down', async () => {
    const carol = await createUser(first, 'carol')
    await stopRedis(redis)
    for (let i = 0; i < 10; i++) {
      expect((await get(first.app, carol.token, '198.51.100.4')).statusCode).toBe(200)
      expect((await get(second, carol.token, '198.51.100.4')).statusCode).toBe(200)
    }
  })

  it('refuses to start when REDIS_URL cannot be reached', async () => {
    const port = await freePort()
    const config = loadConfig({}, { ...first.config, REDIS_URL: `redis://127.0.0.1:${port}` })
    await expect(buildApp({ config, database: first.database })).rejects.toThrow(/ECONNREFUSED|connect/i)
  })
})
