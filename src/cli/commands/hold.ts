import type { Command } from 'commander'
import { operatorAction } from '../errors.js'

// Legal holds are placed by operators only: there is no API route for them (docs/api.md §8).

export function holdCommands(program: Command): void {
  const hold = program
    .command('hold')
    .description('legal holds: a held organization cannot be deleted, nor its scheduled deletion purged')

  hold
    .command('set')
    .description('place a legal hold on an organization (live, or with its deletion still scheduled)')
    .argument('<organization>', 'id or slug')
    .requiredOption('--reason <text>', 'why it is held; shown in its deletion preview and receipts')
    .action(async (organization: string, options: { reason: string }) => {
      const { withDatabase } = await import('../database.js')
      const { placeLegalHold } = await import('../../deletion/legal-holds.js')
      const org = await operatorAction(() =>
        withDatabase(({ db }) => placeLegalHold(db, organization, options.reason)),
      )
      process.stdout.write(`held ${org.id} ${org.slug ?? ''}\n`)
    })

  hold
    .command('release')
    .description('release the legal hold on an organization')
    .argument('<organization>', 'id or slug')
    .action(async (organization: string) => {
      const { withDatabase } = await import('../database.js')
      const { releaseLegalHold } = await import('../../deletion/legal-holds.js')
      const org = await operatorAction(() => withDatabase(({ db }) => releaseLegalHold(db, organization)))
      process.stdout.write(`released ${org.id} ${org.slug ?? ''}\n`)
    })

  hold
    .command('list')
    .description('list the organizations under legal hold: id, slug, since, reason (tab-separated)')
    .action(async () => {
      const { withDatabase } = await import('../database.js')
      const { legalHolds } = await import('../../deletion/legal-holds.js')
      const holds = await withDatabase(({ db }) => legalHolds(db))
      for (const h of holds)
        process.stdout.write(
          `${h.id}\t${h.slug ?? '-'}\t${h.since}\t${h.reason}${h.deleted ? '\t(deleted, scheduled)' : ''}\n`,
        )
    })
}
