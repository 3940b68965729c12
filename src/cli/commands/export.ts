import type { Command } from 'commander'

export function exportCommand(program: Command): void {
  program
    .command('export')
    .description('write an organization (id or slug) as a .tar.gz archive (docs/export-format.md)')
    .argument('<organization>', 'id or slug of a live organization')
    .requiredOption('--out <file>', 'where to write the archive (replaced only once it is complete)')
    .addHelpText('after', '\nProgress goes to stderr; a summary line too.')
    .action(async (ref: string, options: { out: string }) => {
      const { createWriteStream } = await import('node:fs')
      const { rename, rm } = await import('node:fs/promises')
      const { loadConfig } = await import('../../config.js')
      const { isId } = await import('../../db/ids.js')
      const { withDatabase } = await import('../database.js')
      const { progressBar } = await import('../../core/progress.js')
      const { writeArchive, ExportFailed } = await import('../../exports/archive.js')
      const { findLiveOrganization } = await import('../../exports/repository.js')
      const { openStorage, storageSettings } = await import('../../storage/open.js')
      const { CliError } = await import('../errors.js')
      const { sealStorage } = await import('../../encryption/open.js')
      const config = loadConfig()
      const storage = await openStorage(storageSettings(config))
      const partial = `${options.out}.partial`
      const bar = progressBar(process.stderr, 'export', 'rows')
      try {
        const result = await withDatabase(async ({ db }) => {
          const org = await findLiveOrganization(db, ref, isId(ref) ? 'id' : 'slug')
          if (!org) throw new CliError(`no live organization "${ref}"`)
          return writeArchive(db, sealStorage(storage, db, config), org.id, createWriteStream(partial), {
            onProgress: (done, total, step) => bar.update(done, total, step),
          })
        })
        await rename(partial, options.out)
        bar.stop()
        const rows = Object.values(result.counts).reduce((sum, n) => sum + n, 0)
        process.stderr.write(
          `exported ${rows} records and ${result.counts.builds} builds: ${result.size} bytes, sha256 ${result.sha256}\n`,
        )
      } catch (error) {
        bar.stop()
        await rm(partial, { force: true })
        if (error instanceof ExportFailed) throw new CliError(`export failed: ${error.message}`)
        throw error
      } finally {
        await storage.close()
      }
    })
}
