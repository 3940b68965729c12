import type { Command } from 'commander'

export function storageCommands(program: Command): void {
  const storage = program.command('storage').description('object storage of builds (STORAGE_URL)')

  storage
    .command('check')
    .description(
      'compare the storage with the builds table: objects without a build, builds without an object (exit 1 when any)',
    )
    .option('--fix', 'remove the objects without a build (never one of a live build)', false)
    .addHelpText(
      'after',
      '\nPrints one line per finding on stdout (stray|missing, key, size) and a summary on stderr.',
    )
    .action(async (options: { fix: boolean }) => {
      const { loadConfig } = await import('../../config.js')
      const { withDatabase } = await import('../database.js')
      const { checkStorage, removeStrays } = await import('../../builds/storage-check.js')
      const { openStorage, storageSettings } = await import('../../storage/open.js')
      const store = await openStorage(storageSettings(loadConfig()))
      try {
        const problems = await withDatabase(async ({ db }) => {
          const found = await checkStorage(db, store)
          for (const stray of found.strays) process.stdout.write(`stray\t${stray.key}\t${stray.size}\n`)
          for (const key of found.missing) process.stdout.write(`missing\t${key}\n`)
          const removed = options.fix ? await removeStrays(db, store, found.strays) : 0
          process.stderr.write(
            `${store.description}: ${found.strays.length} without a build${options.fix ? ` (${removed} removed)` : ''}, ` +
              `${found.missing.length} builds without an object, ${found.pending} queued for removal\n`,
          )
          return found.strays.length + found.missing.length
        })
        if (problems > 0) process.exitCode = 1
      } finally {
        await store.close()
      }
    })
}
