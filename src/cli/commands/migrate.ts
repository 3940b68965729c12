import type { Command } from 'commander'

export function migrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations (they also run at start); idempotent')
    .action(async () => {
      const { withDatabase } = await import('../database.js')
      const { migrateToLatest } = await import('../../db/migrate.js')
      const applied = await withDatabase(async ({ db }) => (await migrateToLatest(db)).results ?? [], {
        migrate: false,
      })
      process.stderr.write(
        applied.length === 0
          ? 'database is up to date\n'
          : `applied: ${applied.map((r) => r.migrationName).join(', ')}\n`,
      )
    })
}
