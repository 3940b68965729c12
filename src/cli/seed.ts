import { AppError, ErrorCode } from '../http/errors.js'
import { slugProblem } from '../organizations/slug.js'
import { progressReporter } from '../seed/progress.js'
import { seedOrganization } from '../seed/seed.js'
import { CliError, parseOptions, positiveInteger, registerCommand, withDatabase } from './commands.js'

const seedUsage = `orgspace seed --owner <email> [--slug <slug>] [--apps N] [--devices N] [--collaborators N] [--audit N]
  creates one organization owned by <email> (the user is created if new), filled with N generated apps,
  devices, collaborators (besides the owner) and audit events; every count defaults to 0.
  Progress goes to stderr; stdout gets only the new organization's id.`

function count(value: string | undefined, flag: string): number {
  const n = positiveInteger(value, flag, 0)
  if (!Number.isSafeInteger(n)) throw new CliError(`${flag} is too large, got "${value}"\n\n${seedUsage}`)
  return n
}

registerCommand({
  name: 'seed',
  summary: 'create one organization full of generated data (benchmarks, demos)',
  usage: seedUsage,
  async run(args) {
    const options = parseOptions(
      args,
      {
        owner: { type: 'string' },
        slug: { type: 'string' },
        apps: { type: 'string' },
        devices: { type: 'string' },
        collaborators: { type: 'string' },
        audit: { type: 'string' },
      },
      seedUsage,
    )
    const owner = options.owner?.trim()
    if (!owner || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(owner))
      throw new CliError(`--owner must be an email address\n\n${seedUsage}`)
    const problem = options.slug === undefined ? null : slugProblem(options.slug)
    if (problem) throw new CliError(`--slug ${problem}\n\n${seedUsage}`)
    const counts = {
      apps: count(options.apps, '--apps'),
      devices: count(options.devices, '--devices'),
      collaborators: count(options.collaborators, '--collaborators'),
      audit: count(options.audit, '--audit'),
    }

    const progress = progressReporter(process.stderr)
    const result = await withDatabase(({ db }) =>
      seedOrganization(db, { owner, slug: options.slug, ...counts }, progress.update),
    ).catch((error: unknown) => {
      // The slug's form was checked above; what is left is another organization holding it.
      if (error instanceof AppError && error.code === ErrorCode.Conflict)
        throw new CliError(`--slug "${options.slug ?? ''}" is taken by another organization`, 1)
      throw error
    })
    progress.finish(result)
    process.stdout.write(`${result.organizationId}\n`)
    return 0
  },
})
