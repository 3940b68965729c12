import type { Command } from 'commander'
import { emailAddress } from '../options.js'

export function userCommands(program: Command): void {
  const user = program.command('user').description('manage users')

  user
    .command('create')
    .description('create a user (or reuse it) and print only a new API token')
    .requiredOption('--email <email>', "the user's email address", emailAddress)
    .option('--name <name>', 'display name, for a new user')
    .addHelpText('after', '\nExample: TOKEN=$(npx orgspace user create --email you@example.com --name You)')
    .action(async (options: { email: string; name?: string }) => {
      const { withDatabase } = await import('../database.js')
      const { findOrCreateUser } = await import('../../users/service.js')
      const { createToken } = await import('../../tokens/service.js')
      const token = await withDatabase(async ({ db }) => {
        const { user } = await findOrCreateUser(db, options.email, options.name)
        return createToken(db, user.id, { name: 'cli' })
      })
      process.stdout.write(`${token.token}\n`)
    })
}
