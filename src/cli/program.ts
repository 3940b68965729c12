import { Command } from 'commander'
import { VERSION } from '../root.js'
import { certificateCommands } from './commands/certificate.js'
import { deletionsCommands } from './commands/deletions.js'
import { exportCommand } from './commands/export.js'
import { holdCommands } from './commands/hold.js'
import { importCommand } from './commands/import.js'
import { keysCommands } from './commands/keys.js'
import { ledgerCommands } from './commands/ledger.js'
import { migrateCommand } from './commands/migrate.js'
import { seedCommand } from './commands/seed.js'
import { serveCommand } from './commands/serve.js'
import { storageCommands } from './commands/storage.js'
import { userCommands } from './commands/user.js'
import { workerCommand } from './commands/worker.js'

/**
 * Every command, in the order `orgspace --help` lists them. A command is one file in commands/ exporting a
 * function that adds it (and its subcommands) to the program; it imports what its action needs inside the
 * action, so that `--help` and the other commands never load it.
 */
const COMMANDS: ((program: Command) => void)[] = [
  serveCommand,
  workerCommand,
  migrateCommand,
  userCommands,
  seedCommand,
  exportCommand,
  importCommand,
  holdCommands,
  deletionsCommands,
  storageCommands,
  keysCommands,
  certificateCommands,
  ledgerCommands,
]

/**
 * The `orgspace` program. Commander reports usage errors itself, on stderr; exitOverride() turns its exits into
 * exceptions, so that cli.ts alone decides exit codes. Settings made here before the commands are added are
 * inherited by every command and subcommand.
 */
export function createProgram(): Command {
  const program = new Command('orgspace')
    .description(
      'Organization workspaces API. Every command reads DATABASE_URL (default: data/orgspace.db in the orgspace folder, whatever the current folder).',
    )
    .version(VERSION, '-V, --version', 'print the version of orgspace')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`orgspace: ${text.replace(/^error: /, '')}`) })
    .showHelpAfterError('(add --help for usage)')
  for (const add of COMMANDS) add(program)
  return program
}
