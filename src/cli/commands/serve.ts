import type { Command } from 'commander'

export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description('run the HTTP API (what npm start does)')
    .addHelpText(
      'after',
      '\nReads PORT, HOST, DATABASE_URL, LOG_LEVEL, PURGE_WORKER and the rest of docs/configuration.md.',
    )
    .action(async () => {
      await import('../../server.js')
      // The server keeps the process alive; its signal handlers (and start-up errors) decide the exit code.
      await new Promise<never>(() => undefined)
    })
}
