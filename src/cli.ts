import { ConfigError } from './config.js'
import { commands, CliError, usage } from './cli/commands.js'
import './cli/builtin.js'
import './cli/worker.js'
import './cli/seed.js'
import './cli/storage.js'

// `orgspace <command> [options]`: every command honours DATABASE_URL. Results go to stdout, progress and
// errors to stderr, so the output can be captured (`TOKEN=$(npx orgspace user create …)`).
async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage())
    return name === undefined ? 1 : 0
  }
  const command = commands.find(
    (c) => c.name === name || (rest[0] !== undefined && c.name === `${name} ${rest[0]}`),
  )
  if (!command) throw new CliError(`unknown command "${name}"\n\n${usage()}`)
  const args = command.name.includes(' ') ? rest.slice(1) : rest
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${command.usage}\n`)
    return 0
  }
  return command.run(args)
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    if (error instanceof CliError || error instanceof ConfigError)
      process.stderr.write(`orgspace: ${error.message}\n`)
    else
      process.stderr.write(
        `orgspace: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      )
    process.exitCode = error instanceof CliError ? error.exitCode : 1
  },
)
