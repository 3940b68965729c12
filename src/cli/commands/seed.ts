import { InvalidArgumentError, type Command } from 'commander'
import { slugProblem } from '../../organizations/slug.js'
import { CliError } from '../errors.js'
import { emailAddress, wholeNumber } from '../options.js'

interface SeedCommandOptions {
  owner: string
  slug?: string
  apps: number
  devices: number
  collaborators: number
  audit: number
}

function slug(value: string): string {
  const problem = slugProblem(value)
  if (problem) throw new InvalidArgumentError(`The slug ${problem}.`)
  return value
}

export function seedCommand(program: Command): void {
  program
    .command('seed')
    .description('create one organization full of generated data (benchmarks, demos)')
    .requiredOption('--owner <email>', 'owner of the organization (the user is created if new)', emailAddress)
    .option('--slug <slug>', 'slug of the organization (generated when left out)', slug)
    .option('--apps <N>', 'generated apps', wholeNumber, 0)
    .option('--devices <N>', 'generated devices', wholeNumber, 0)
    .option('--collaborators <N>', 'generated collaborators, besides the owner', wholeNumber, 0)
    .option('--audit <N>', 'generated audit events', wholeNumber, 0)
    .addHelpText('after', "\nProgress goes to stderr; stdout gets only the new organization's id.")
    .action(async ({ owner, slug, ...counts }: SeedCommandOptions) => {
      const { withDatabase } = await import('../database.js')
      const { seedOrganization, SEEDED_TABLES } = await import('../../seed/seed.js')
      const { progressReporter } = await import('../../seed/progress.js')
      const { AppError, ErrorCode } = await import('../../core/errors.js')
      const progress = progressReporter(process.stderr)
      const { analyzeTables } = await import('../../db/statistics.js')
      const result = await withDatabase(async ({ db }) => {
        const seeded = await seedOrganization(db, { owner, slug, ...counts }, progress.update)
        // Statistics for what it wrote, so that a DELETE straight after is planned for their size (db/statistics.ts).
        await analyzeTables(db, SEEDED_TABLES)
        return seeded
      }).catch((error: unknown) => {
        progress.stop()
        // The slug's form was checked with the options; what is left is another organization holding it.
        if (error instanceof AppError && error.code === ErrorCode.Conflict)
          throw new CliError(`--slug "${slug ?? ''}" is taken by another organization`)
        throw error
      })
      progress.finish(result)
      process.stdout.write(`${result.organizationId}\n`)
    })
}
