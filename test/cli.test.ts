import type { Command } from 'commander'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createProgram } from '../src/cli/program.js'
import { openDatabase, type DatabaseHandle } from '../src/db/connect.js'
import { migrateToLatest } from '../src/db/migrate.js'
import { requestDeletion } from '../src/deletion/command.js'
import { seedOrganization } from '../src/seed/seed.js'
import { authenticate } from '../src/tokens/service.js'
import { createTestDatabase, type TestDatabase } from './support/app.js'
import { kill, runNode, startNode, waitFor } from './support/processes.js'
import { rowsOf } from './support/purge.js'

// The command line from source, on the database under test: every command described, `user create`'s output,
// and the standalone worker as a daemon. Usage errors, --help and start-up errors do not depend on the
// database: compiled.unit.test.ts checks them once, on the compiled build. Each child process starts tsx, which
// takes seconds on a busy machine: hence the long timeouts.

const SLOW = { timeout: 120_000 }

let testDb: TestDatabase
let database: DatabaseHandle
beforeAll(async () => {
  testDb = await createTestDatabase()
  database = openDatabase(testDb.url)
  await migrateToLatest(database.db)
})
afterAll(async () => {
  await database.close()
  await testDb.drop()
})

const orgspace = (args: string[], env: Record<string, string> = {}) =>
  runNode('src/cli.ts', args, { DATABASE_URL: testDb.url, ...env })

/** Every command and subcommand, as the words that name it: [['serve'], …, ['user'], ['user', 'create'], …]. */
function commandPaths(command: Command, path: string[] = []): string[][] {
  return command.commands
    .filter((c) => c.name() !== 'help')
    .flatMap((c) => [[...path, c.name()], ...commandPaths(c, [...path, c.name()])])
}

describe('orgspace help', () => {
  it('describes every command and subcommand', () => {
    const program = createProgram()
    const paths = commandPaths(program)
    expect(paths).toEqual(
      expect.arrayContaining([['serve'], ['worker'], ['migrate'], ['user'], ['user', 'create'], ['seed']]),
    )
    for (const path of paths) {
      let command: Command = program
      for (const name of path) {
        const next = command.commands.find((c) => c.name() === name)
        if (!next) throw new Error(`no command ${path.join(' ')}`)
        command = next
      }
      expect(command.description(), path.join(' ')).not.toBe('')
      expect(command.helpInformation()).toContain(`Usage: orgspace ${path.join(' ')}`)
    }
  })
})

describe('orgspace user create', () => {
  it('prints only a token that authenticates as the user, a new one each time', SLOW, async () => {
    const email = `cli-${Date.now()}@example.test`
    const first = await orgspace(['user', 'create', '--email', email, '--name', 'Cli User'])
    const second = await orgspace(['user', 'create', '--email', email])
    for (const run of [first, second]) {
      expect(run.code, run.stderr).toBe(0)
      expect(run.stdout).toMatch(/^osk_\S+\n$/)
    }
    expect(first.stdout).not.toBe(second.stdout)
    const callers = await Promise.all(
      [first, second].map((run) => authenticate(database.db, `Bearer ${run.stdout.trim()}`)),
    )
    expect(callers.map((c) => [c.email, c.name])).toEqual([
      [email, 'Cli User'],
      [email, 'Cli User'],
    ])
  })
})

describe('orgspace worker', () => {
  it('keeps running while idle, purges what is deleted meanwhile, and exits 0 on SIGTERM', SLOW, async () => {
    const worker = startNode('src/cli.ts', ['worker'], {
      DATABASE_URL: testDb.url,
      PURGE_POLL_MS: '20',
      PURGE_BATCH_TARGET_MS: '5',
      WORKER_HEARTBEAT_MS: '10',
      LOG_LEVEL: 'debug',
    })
    const beats = () => worker.output().split('purge worker alive').length - 1
    try {
      await waitFor(() => worker.output().includes('purge worker started'), 60_000, worker.output)
      // Many idle rounds, counted by the worker itself: one whose idle loop let the process end would be gone.
      await waitFor(() => beats() >= 10, 60_000, worker.output)
      expect(worker.process.exitCode, worker.output()).toBeNull()

      const seeded = await seedOrganization(database.db, {
        owner: `idle-${Date.now()}@example.test`,
        devices: 300,
      })
      const auth = { userId: seeded.ownerId, email: '', name: '', tokenId: '', organizationId: null }
      const { deletionId } = await requestDeletion(database.db, auth, seeded.organizationId, {
        graceSeconds: 0,
        quarantineSeconds: 0,
      })
      await waitFor(
        async () => {
          const receipt = await database.db
            .selectFrom('deletions')
            .select('status')
            .where('id', '=', deletionId)
            .executeTakeFirstOrThrow()
          return receipt.status === 'completed'
        },
        30_000,
        worker.output,
      )
      expect((await rowsOf(database.db, seeded.organizationId)).devices).toBe(0)

      worker.process.kill('SIGTERM')
      await worker.exited
      expect(worker.process.exitCode, worker.output()).toBe(0)
      expect(worker.output()).toContain('purge worker stopped')
    } finally {
      await kill(worker, 'SIGKILL')
    }
  })

  it(
    'exits 1 with one line naming DATABASE_URL when its database cannot be used at start',
    SLOW,
    async () => {
      const run = await orgspace(['worker'], {
        DATABASE_URL: `sqlite:${process.cwd()}/package.json/orgspace.db`,
      })
      expect(run.code).toBe(1)
      expect(run.stdout).toBe('')
      expect(run.stderr).toMatch(
        /^orgspace: cannot create the folder of the SQLite database .*\(set DATABASE_URL\)\n$/,
      )
    },
  )
})
