import { connect, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/db/connect.js'
import { createToken } from '../../src/tokens/service.js'
import { findOrCreateUser } from '../../src/users/service.js'
import { createTestDatabase, type TestDatabase } from '../support/app.js'
import { kill, startServer, waitFor, type Child } from '../support/processes.js'
import { parseRawResponse } from './helpers.js'

// The real server process: SIGTERM while a request is in flight. Ordering is established from the server's
// own log lines, never from sleeps.

let child: (Child & { url: string }) | undefined
let testDb: TestDatabase | undefined
afterEach(async () => {
  if (child) await kill(child, 'SIGKILL')
  await testDb?.drop()
  child = undefined
  testDb = undefined
})

async function startWithUser(env: Record<string, string> = {}) {
  testDb = await createTestDatabase()
  child = await startServer({ DATABASE_URL: testDb.url, ...env })
  const port = Number(new URL(child.url).port)
  // The server has migrated the database by the time it listens.
  const database = openDatabase(testDb.url)
  const { user } = await findOrCreateUser(database.db, 'slow@example.test', 'slow')
  const { token } = await createToken(database.db, user.id, { name: 'shutdown' })
  return { server: child, port, database, token }
}

function logLines(server: Child): Record<string, unknown>[] {
  return server
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

const logged = (server: Child, match: (line: Record<string, unknown>) => boolean) =>
  waitFor(
    () => logLines(server).some(match),
    20_000,
    () => server.output(),
  )

/** Sends the headers and the first half of a POST, leaving the request in flight. */
function startSlowRequest(port: number, token: string, requestId: string, body: string) {
  const socket = connect(port, '127.0.0.1')
  const chunks: Buffer[] = []
  socket.on('data', (chunk) => chunks.push(chunk))
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()))
  socket.on('error', () => undefined)
  socket.write(
    'POST /v1/organizations HTTP/1.1\r\nhost: orgspace\r\ncontent-type: application/json\r\n' +
      `authorization: Bearer ${token}\r\nx-request-id: ${requestId}\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\n\r\n` +
      body.slice(0, 5),
  )
  return {
    socket,
    finish: () => socket.write(body.slice(5)),
    response: async () => {
      await closed
      return parseRawResponse(Buffer.concat(chunks).toString('utf8'))
    },
  }
}

/** Resolves 'refused' once a new connection to `port` is refused (connections that get through are dropped). */
function refusedOnce(port: number): Promise<'refused' | 'accepted'> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve('accepted')
    })
    socket.once('error', (error: NodeJS.ErrnoException) =>
      resolve(error.code === 'ECONNREFUSED' ? 'refused' : 'accepted'),
    )
  })
}

describe('graceful shutdown', () => {
  it('on SIGTERM refuses new connections, finishes the request in flight, and exits 0', async () => {
    const { server, port, database, token } = await startWithUser()
    try {
      const slow = startSlowRequest(
        port,
        token,
        'slow-request-1',
        JSON.stringify({ name: 'Finished after SIGTERM' }),
      )
      await logged(server, (line) => line.reqId === 'slow-request-1' && line.msg === 'incoming request')

      server.process.kill('SIGTERM')
      await logged(server, (line) => String(line.msg).startsWith('shutting down'))
      // The listener closes while the slow request is still waiting for its body.
      await waitFor(async () => (await refusedOnce(port)) === 'refused', 10_000)
      expect(server.process.exitCode).toBeNull()

      slow.finish()
      const reply = await slow.response()
      expect(reply.status).toBe(200)
      expect(JSON.parse(reply.body).data.name).toBe('Finished after SIGTERM')
      expect(reply.headers['x-request-id']).toBe('slow-request-1')
      // Told to go elsewhere for its next request, so its keep-alive connection does not hold the exit.
      expect(reply.headers.connection).toBe('close')

      const [code] = (await server.exited) as [number | null]
      expect(code, server.output()).toBe(0)
      expect(logLines(server).some((line) => line.msg === 'shut down')).toBe(true)
      const saved = await database.db.selectFrom('organizations').select('name').execute()
      expect(saved.map((o) => o.name)).toEqual(['Finished after SIGTERM'])
    } finally {
      await database.close()
    }
  })

  it('cuts requests still running after SHUTDOWN_TIMEOUT_MS and exits 1', async () => {
    const { server, port, database, token } = await startWithUser({ SHUTDOWN_TIMEOUT_MS: '300' })
    try {
      const stuck = startSlowRequest(
        port,
        token,
        'stuck-request-1',
        JSON.stringify({ name: 'Never finished' }),
      )
      await logged(server, (line) => line.reqId === 'stuck-request-1' && line.msg === 'incoming request')

      server.process.kill('SIGTERM')
      // The body never comes: the bound, not the client, ends the shutdown.
      const [code] = (await server.exited) as [number | null]
      expect(code).toBe(1)
      expect(logLines(server).some((line) => String(line.msg).startsWith('shutdown timed out'))).toBe(true)
      const reply = await stuck.response()
      expect(reply.status).toBeNaN()
      const saved = await database.db.selectFrom('organizations').select('name').execute()
      expect(saved).toEqual([])
    } finally {
      await database.close()
    }
  })
})
