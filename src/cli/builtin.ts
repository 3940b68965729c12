import { migrateToLatest } from '../db/migrate.js'
import { createToken } from '../tokens/service.js'
import { findOrCreateUser } from '../users/service.js'
import { CliError, parseOptions, registerCommand, withDatabase } from './commands.js'

registerCommand({
  name: 'serve',
  summary: 'run the HTTP API (same as npm start)',
  usage: 'orgspace serve   — reads PORT, HOST, DATABASE_URL, LOG_LEVEL, PURGE_WORKER',
  async run() {
    await import('../server.js')
    // The server keeps the process alive; its signal handlers decide the exit code.
    return new Promise<number>(() => undefined)
  },
})

registerCommand({
  name: 'migrate',
  summary: 'apply pending database migrations (idempotent)',
  usage: 'orgspace migrate',
  async run(args) {
    parseOptions(args, {}, 'orgspace migrate')
    const applied = await withDatabase(async ({ db }) => (await migrateToLatest(db)).results ?? [], {
      migrate: false,
    })
    process.stderr.write(
      applied.length === 0
        ? 'database is up to date\n'
        : `applied: ${applied.map((r) => r.migrationName).join(', ')}\n`,
    )
    return 0
  },
})

const userCreateUsage =
  'orgspace user create --email <email> [--name <name>]\n  creates the user (or reuses it) and prints only a new API token'

registerCommand({
  name: 'user create',
  summary: 'create a user (or reuse it) and print a new API token',
  usage: userCreateUsage,
  async run(args) {
    const options = parseOptions(
      args,
      { email: { type: 'string' }, name: { type: 'string' } },
      userCreateUsage,
    )
    const email = options.email?.trim()
    if (!email || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))
      throw new CliError(`--email must be an email address\n\n${userCreateUsage}`)
    const token = await withDatabase(async ({ db }) => {
      const { user } = await findOrCreateUser(db, email, options.name)
      return createToken(db, user.id, { name: 'cli' })
    })
    process.stdout.write(`${token.token}\n`)
    return 0
  },
})
