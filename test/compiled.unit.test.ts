import { execFile } from 'node:child_process'
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { Command } from 'commander'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createProgram } from '../src/cli/program.js'
import { freePort } from './support/pg-cluster.js'
import { kill, ROOT, runNode, startNode, waitFor, type RunOptions } from './support/processes.js'

// The service as `npm ci` leaves it: compiled to JavaScript by the package's own build script, run by plain node
// with no TypeScript loader. It is built here, from the current source, in a copy of the repository's layout
// (dependencies linked), so the test never runs a stale dist/ and never writes the checkout's. Runs once, on
// SQLite: nothing here depends on the database under test (the start-up errors include PostgreSQL's).

let tree: string
let work: string

beforeAll(async () => {
  tree = mkdtempSync(join(tmpdir(), 'orgspace-compiled-'))
  cpSync(join(ROOT, 'package.json'), join(tree, 'package.json'))
  for (const dir of ['src', 'bin', 'scripts']) cpSync(join(ROOT, dir), join(tree, dir), { recursive: true })
  symlinkSync(join(ROOT, 'node_modules'), join(tree, 'node_modules'))
  symlinkSync(join(ROOT, 'web'), join(tree, 'web'))
  work = join(tree, 'work')
  mkdirSync(work)
  await promisify(execFile)('npm', ['run', 'build:server'], { cwd: tree })
}, 240_000)
afterAll(() => rmSync(tree, { recursive: true, force: true }))

/** `orgspace …args` as installed: bin/orgspace.js running dist/, without tsx. */
const orgspace = (args: string[], env: Record<string, string>, options: RunOptions = {}) =>
  runNode('bin/orgspace.js', args, env, { nodeArgs: [], cwd: tree, ...options })

const sqliteUrl = (name: string) => `sqlite:${join(work, name, 'orgspace.db')}`

function commandPaths(command: Command, path: string[] = []): string[][] {
  return command.commands
    .filter((c) => c.name() !== 'help')
    .flatMap((c) => [[...path, c.name()], ...commandPaths(c, [...path, c.name()])])
}

// Child processes take seconds each on a busy machine.
const SLOW = { timeout: 120_000 }

describe('the compiled build', SLOW, () => {
  it('has the command line and both threads as JavaScript, with no TypeScript and no loader in them', () => {
    const files = readdirSync(join(tree, 'dist'), { recursive: true }).map(String)
    for (const entry of ['cli.js', 'purge-thread.js', 'delivery-thread.js']) expect(files).toContain(entry)
    expect(files.filter((file) => !file.endsWith('.js'))).toEqual([])
    // No import of tsx, no `--import tsx` (a bundled package may well mention ".tsx" files).
    for (const file of files)
      expect(readFileSync(join(tree, 'dist', file), 'utf8'), file).not.toMatch(
        /["']tsx(\/[^"']*)?["']|--import[= ]tsx/,
      )
  })

  it('carries its JavaScript dependencies inside the build, and leaves the native and on-demand ones to node_modules', () => {
    // Loading hundreds of small module files from node_modules was most of every start: the build bundles them
    // (scripts/build-server.mjs), except better-sqlite3 (native) and what only some commands or settings load.
    const code = readdirSync(join(tree, 'dist'))
      .map((file) => readFileSync(join(tree, 'dist', file), 'utf8'))
      .join('\n')
    const imported = new Set(
      [...code.matchAll(/(?:from|import\()\s*"([^".][^"]*)"/g)].map((match) => match[1] ?? ''),
    )
    for (const name of ['typebox', 'kysely', 'fastify', 'pino', 'ajv', 'commander', 'prom-client'])
      expect([...imported].filter((id) => id === name || id.startsWith(`${name}/`))).toEqual([])
    for (const name of ['better-sqlite3', 'nodemailer', 'ioredis', '@aws-sdk/client-s3'])
      expect(imported).toContain(name)
  })

  it('serves the API, purges in its thread, and stops with 0 on SIGTERM', async () => {
    const env = { DATABASE_URL: sqliteUrl('serve'), PORT: '0', LOG_LEVEL: 'info', PURGE_POLL_MS: '50' }
    const token = await orgspace(['user', 'create', '--email', 'compiled@example.test'], env)
    expect(token.code, token.stderr).toBe(0)
    const auth = { authorization: `Bearer ${token.stdout.trim()}`, 'content-type': 'application/json' }

    const server = startNode('bin/orgspace.js', ['serve'], env, { nodeArgs: [], cwd: tree })
    try {
      const url = await waitFor(
        () => /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(server.output())?.[1],
        90_000,
        server.output,
      )
      expect((await fetch(`${url}/healthz`)).status).toBe(200)
      // Compiled code needs no compiler at run time: the server has started no process of its own (tsx ran
      // esbuild in child processes).
      const children = `/proc/${server.process.pid}/task/${server.process.pid}/children`
      if (existsSync(children)) expect(readFileSync(children, 'utf8').trim()).toBe('')

      const created = await fetch(`${url}/v1/organizations`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ name: 'Compiled Co' }),
      })
      expect(created.status).toBe(200)
      const org = ((await created.json()) as { data: { id: string } }).data
      const deleted = await fetch(`${url}/v1/organizations/${org.id}`, { method: 'DELETE', headers: auth })
      expect(deleted.status).toBe(200)
      const { deletionId } = ((await deleted.json()) as { data: { deletionId: string } }).data
      await waitFor(
        async () => {
          const receipt = await fetch(`${url}/v1/deletions/${deletionId}`, { headers: auth })
          const body = (await receipt.json()) as { data?: { status?: string } }
          return body.data?.status === 'completed'
        },
        60_000,
        server.output,
      )
      // The delivery thread, like the purge thread, loads without a TypeScript loader.
      expect(server.output()).not.toMatch(/delivery thread (failed|exited)/)

      server.process.kill('SIGTERM')
      await server.exited
      expect(server.process.exitCode, server.output()).toBe(0)
    } finally {
      await kill(server, 'SIGKILL')
    }
  })

  it('answers --help for every command and subcommand on stdout, exit 0', async () => {
    const paths = [[], ...commandPaths(createProgram())]
    const runs = await Promise.all(paths.map((path) => orgspace([...path, '--help'], {})))
    for (const [i, run] of runs.entries()) {
      const path = paths[i] ?? []
      expect(run.code, path.join(' ')).toBe(0)
      expect(run.stdout).toContain(`Usage: orgspace ${path.join(' ')}`.trimEnd())
      expect(run.stderr).toBe('')
    }
  })

  it('answers --version (and -V) with the package version on stdout, exit 0', async () => {
    const { version } = JSON.parse(readFileSync(join(tree, 'package.json'), 'utf8')) as { version: string }
    for (const flag of ['--version', '-V'])
      expect(await orgspace([flag], {})).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' })
  })

  it("keeps its default database in the project's data/ folder whatever the current folder; a path given stays relative", async () => {
    const elsewhere = join(work, 'elsewhere', 'deeper')
    mkdirSync(elsewhere, { recursive: true })
    // Empty is unset: the defaults apply whatever the test process's own environment holds.
    const defaults = { DATABASE_URL: '', STORAGE_URL: '' }
    const made = await runNode(
      join(tree, 'bin/orgspace.js'),
      ['user', 'create', '--email', 'elsewhere@example.test'],
      defaults,
      { nodeArgs: [], cwd: elsewhere },
    )
    expect(made.code, made.stderr).toBe(0)
    expect(existsSync(join(tree, 'data', 'orgspace.db'))).toBe(true)
    expect(readdirSync(elsewhere)).toEqual([])

    // The server, started from the project's folder with the same defaults, knows the token.
    const server = startNode(
      'bin/orgspace.js',
      ['serve'],
      { ...defaults, PORT: '0', LOG_LEVEL: 'info' },
      {
        nodeArgs: [],
        cwd: tree,
      },
    )
    try {
      const url = await waitFor(
        () => /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(server.output())?.[1],
        90_000,
        server.output,
      )
      const me = await fetch(`${url}/v1/users/me`, {
        headers: { authorization: `Bearer ${made.stdout.trim()}` },
      })
      expect(me.status).toBe(200)
      expect(((await me.json()) as { data: { email: string } }).data.email).toBe('elsewhere@example.test')
    } finally {
      await kill(server, 'SIGKILL')
    }

    const given = await runNode(
      join(tree, 'bin/orgspace.js'),
      ['migrate'],
      { DATABASE_URL: 'sqlite:./mine/orgspace.db' },
      {
        nodeArgs: [],
        cwd: elsewhere,
      },
    )
    expect(given.code, given.stderr).toBe(0)
    expect(existsSync(join(elsewhere, 'mine', 'orgspace.db'))).toBe(true)
  })

  it('ends quietly with 0 when its reader closes the pipe early (… | head)', async () => {
    const { spawn } = await import('node:child_process')
    const child = spawn(process.execPath, ['bin/orgspace.js', '--help'], {
      cwd: tree,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    // The reader is gone before the first write, as `head` is once it has its lines.
    child.stdout.destroy()
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    expect(stderr).toBe('')
    expect(code).toBe(0)
  })

  it('answers a usage error with exit 2, one message on stderr and nothing on stdout', async () => {
    const runs = await Promise.all(
      [
        ['user', 'create'],
        ['user', 'create', '--email', 'not-an-email'],
        ['user', 'create', '--email', 'a@example.test', '--admin'],
        ['seed', '--owner', 'a@example.test', '--devices', '-3'],
        ['users'],
        ['migrate', 'now'],
        ['user'],
        [],
      ].map((args) => orgspace(args, { DATABASE_URL: sqliteUrl('usage') })),
    )
    for (const run of runs) {
      expect(run.code, run.stderr).toBe(2)
      expect(run.stdout).toBe('')
      expect(run.stderr).not.toMatch(/\n\s+at /)
    }
    expect(runs.map((r) => r.stderr.split('\n')[0])).toEqual([
      "orgspace: required option '--email <email>' not specified",
      "orgspace: option '--email <email>' argument 'not-an-email' is invalid. Not an email address.",
      "orgspace: unknown option '--admin'",
      "orgspace: option '--devices <N>' argument '-3' is invalid. Not a whole number.",
      "orgspace: unknown command 'users'",
      "orgspace: too many arguments for 'migrate'. Expected 0 arguments but got 1.",
      // A group or the program without a command: its help, on stderr.
      'Usage: orgspace user [options] [command]',
      'Usage: orgspace [options] [command]',
    ])
    // Nothing was created by any of them.
    expect(existsSync(join(work, 'usage'))).toBe(false)
  })

  it('warns when src/ changed after the build, and says how to build when dist/ is missing', async () => {
    const env = { DATABASE_URL: sqliteUrl('stale') }
    expect((await orgspace(['migrate'], env)).stderr).not.toContain('warning')
    const edited = join(tree, 'src/app.ts')
    const { atime, mtime } = statSync(edited)
    const later = new Date(Date.now() + 60_000)
    utimesSync(edited, later, later)
    const stale = await orgspace(['migrate'], env)
    utimesSync(edited, atime, mtime)
    expect(stale.code).toBe(0)
    expect(stale.stderr).toContain('orgspace: warning: src/ changed after dist/ was built')

    const bare = join(tree, 'bare')
    cpSync(join(tree, 'bin'), join(bare, 'bin'), { recursive: true })
    writeFileSync(join(bare, 'package.json'), readFileSync(join(tree, 'package.json')))
    const missing = await orgspace(['--help'], {}, { cwd: bare })
    expect(missing.code).toBe(1)
    expect(missing.stderr).toBe('orgspace: the compiled service (dist/) is missing: run npm run build\n')
  })
})

// Each cause, for the server and every command that opens the database: exit 1, nothing on stdout, exactly one
// line on stderr naming the cause and the variable to set — no stack trace.
describe('start-up errors', SLOW, () => {
  const COMMANDS = [
    ['serve'],
    ['worker'],
    ['migrate'],
    ['user', 'create', '--email', 'who@example.test'],
    ['seed', '--owner', 'who@example.test'],
  ]

  async function expectOneLine(
    args: string[],
    env: Record<string, string>,
    line: RegExp,
    options?: RunOptions,
  ) {
    const run = await orgspace(args, { PORT: '0', ...env }, options)
    const label = `${args.join(' ')}: ${run.stderr}`
    expect(run.code, label).toBe(1)
    expect(run.stdout, label).toBe('')
    expect(run.stderr, label).toMatch(/^orgspace: [^\n]+\n$/)
    expect(run.stderr, label).toMatch(line)
  }

  it('names the bad variables of an invalid configuration', async () => {
    await Promise.all(
      COMMANDS.map((args) =>
        expectOneLine(
          args,
          { LOG_LEVEL: 'loud', PURGE_POLL_MS: 'often' },
          /^orgspace: invalid configuration: LOG_LEVEL="loud": must be one of: fatal, .*; PURGE_POLL_MS="often": must be a whole number /,
        ),
      ),
    )
  })

  it('says PostgreSQL cannot be reached, without the password', async () => {
    const closed = await freePort()
    const url = `postgres://orgspace:hunter2@127.0.0.1:${closed}/orgspace`
    await Promise.all(
      COMMANDS.map((args) =>
        expectOneLine(
          args,
          { DATABASE_URL: url },
          new RegExp(
            `^orgspace: cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${closed}/orgspace: connection refused \\(set DATABASE_URL\\)\\n$`,
          ),
        ),
      ),
    )
  })

  it('says a SQLite path that is a directory is one', async () => {
    const dir = join(work, 'a-directory.db')
    mkdirSync(dir)
    await Promise.all(
      COMMANDS.map((args) =>
        expectOneLine(
          args,
          { DATABASE_URL: `sqlite:${dir}` },
          /^orgspace: cannot open the SQLite database .*a-directory\.db: it is a directory \(set DATABASE_URL\)\n$/,
        ),
      ),
    )
  })

  it('refuses a SQLite file it may not write, rather than starting read-only', async () => {
    const locked = join(work, 'locked')
    mkdirSync(locked)
    const url = `sqlite:${join(locked, 'orgspace.db')}`
    const created = await orgspace(['migrate'], { DATABASE_URL: url })
    expect(created.code, created.stderr).toBe(0)
    chmodSync(join(locked, 'orgspace.db'), 0o444)
    // Root may write anything: as root, the commands run without the capabilities that bypass permissions.
    const as: RunOptions =
      process.getuid?.() === 0
        ? { prefix: ['setpriv', '--bounding-set', '-dac_override,-dac_read_search'] }
        : {}
    await Promise.all(
      COMMANDS.map((args) =>
        expectOneLine(
          args,
          { DATABASE_URL: url },
          /^orgspace: cannot write the SQLite database .*orgspace\.db: permission denied \(set DATABASE_URL\)\n$/,
          as,
        ),
      ),
    )
  })

  it('says the port is in use, or the address is not this machine’s', async () => {
    const taken = createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    const address = taken.address()
    const port = typeof address === 'object' && address ? address.port : 0
    try {
      const env = { DATABASE_URL: sqliteUrl('listen'), PURGE_WORKER: 'off' }
      await expectOneLine(
        ['serve'],
        { ...env, PORT: String(port) },
        new RegExp(`^orgspace: cannot listen on 127\\.0\\.0\\.1:${port}: address in use \\(set PORT\\)\\n$`),
      )
      // TEST-NET-3 (RFC 5737): an address no machine of ours has.
      await expectOneLine(
        ['serve'],
        { ...env, HOST: '203.0.113.7' },
        /^orgspace: cannot listen on 203\.0\.113\.7:0: address not available on this machine \(set HOST\)\n$/,
      )
    } finally {
      taken.close()
    }
  })
})
