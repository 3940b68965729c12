import type { Command } from 'commander'
import { emailAddress } from '../options.js'

export function importCommand(program: Command): void {
  program
    .command('import')
    .description(
      'create a new organization from an export archive (checked whole before anything is written)',
    )
    .argument('<file>', 'a .tar.gz written by `orgspace export` or the exports API')
    .requiredOption(
      '--owner <email>',
      'owner of the new organization (the user is created if new)',
      emailAddress,
    )
    .option('--slug <slug>', "slug of the new organization (the archive's when left out)")
    .addHelpText('after', "\nProgress goes to stderr; stdout gets only the new organization's id.")
    .action(async (file: string, options: { owner: string; slug?: string }) => {
      const { loadConfig } = await import('../../config.js')
      const { withDatabase } = await import('../database.js')
      const { progressBar } = await import('../../core/progress.js')
      const { importArchive } = await import('../../exports/import.js')
      const { ArchiveRefused } = await import('../../exports/reader.js')
      const { openStorage, storageSettings } = await import('../../storage/open.js')
      const { CliError } = await import('../errors.js')
      const { sealStorage } = await import('../../encryption/open.js')
      const config = loadConfig()
      const storage = await openStorage(storageSettings(config))
      const bar = progressBar(process.stderr, 'import', 'records')
      try {
        const result = await withDatabase(({ db }) =>
          importArchive(db, sealStorage(storage, db, config), file, options, (p) =>
            bar.update(p.done, p.total, p.step),
          ),
        )
        bar.stop()
        process.stdout.write(`${result.organizationId}\n`)
      } catch (error) {
        bar.stop()
        if (error instanceof ArchiveRefused) throw new CliError(`import refused: ${error.message}`)
        throw error
      } finally {
        await storage.close()
      }
    })
}
