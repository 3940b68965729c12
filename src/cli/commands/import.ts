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
        const result = await withDatabase(async ({ db }) => {
          try {
            return await importArchive(
              db,
              sealStorage(storage, db, config),
              file,
              { ...options, limits: { buildMaxBytes: config.BUILD_MAX_BYTES } },
              (p) => bar.update(p.done, p.total, p.step),
            )
          } catch (error) {
            if (error instanceof ArchiveRefused) throw new CliError(`import refused: ${error.message}`)
            // The database was reached (a failure to reach it is reported with its setting, by withDatabase's
            // caller); one failing midway is no configuration problem, and what was written goes to the purge.
            throw new CliError(`import failed, nothing was kept: ${(error as Error).message}`)
          }
        })
        process.stdout.write(`${result.organizationId}\n`)
      } finally {
        bar.stop()
        await storage.close()
      }
    })
}
