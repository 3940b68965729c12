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
      const { sealStorage } = await import('../../encryption/open.js')
      const { countPlaintext } = await import('../../encryption/encrypt-store.js')
      const config = loadConfig()
      const store = await openStorage(storageSettings(config))
      try {
        const problems = await withDatabase(async ({ db }) => {
          const found = await checkStorage(db, store)
          const plaintext = await countPlaintext(sealStorage(store, db, config))
          for (const stray of found.strays) process.stdout.write(`stray\t${stray.key}\t${stray.size}\n`)
          for (const key of found.missing) process.stdout.write(`missing\t${key}\n`)
          const removed = options.fix ? await removeStrays(db, store, found.strays) : 0
          process.stderr.write(
            `${store.description}: ${found.strays.length} without a build${options.fix ? ` (${removed} removed)` : ''}, ` +
              `${found.missing.length} builds without an object, ${found.pending} queued for removal, ` +
              `${plaintext} in plaintext${plaintext > 0 ? ' (run orgspace storage encrypt)' : ''}\n`,
          )
          return found.strays.length + found.missing.length
        })
        if (problems > 0) process.exitCode = 1
      } finally {
        await store.close()
      }
    })

  storage
    .command('encrypt')
    .description(
      "encrypt the objects written before encryption, each under its organization's key (resumable; a second run changes nothing)",
    )
    .addHelpText('after', '\nProgress goes to stderr; a summary line too.')
    .action(async () => {
      const { loadConfig } = await import('../../config.js')
      const { withDatabase } = await import('../database.js')
      const { progressBar } = await import('../../core/progress.js')
      const { encryptStore } = await import('../../encryption/encrypt-store.js')
      const { sealStorage } = await import('../../encryption/open.js')
      const { openStorage, storageSettings } = await import('../../storage/open.js')
      const config = loadConfig()
      const store = await openStorage(storageSettings(config))
      const bar = progressBar(process.stderr, 'encrypt', 'objects')
      try {
        const result = await withDatabase(({ db }) =>
          encryptStore(sealStorage(store, db, config), (p) => bar.update(p.done, p.total, 'objects')),
        )
        bar.stop()
        process.stderr.write(
          `${store.description}: ${result.encrypted} encrypted, ${result.alreadyEncrypted} already encrypted, ` +
            `${result.skipped} left (no live organization)\n`,
        )
      } finally {
        bar.stop()
        await store.close()
      }
    })

  storage
    .command('decrypt')
    .description('decrypt one object (as `storage check` or a bucket listing names it) into a file')
    .argument('<key>', 'the object key, e.g. <organizationId>/<applicationId>/<buildId>')
    .requiredOption('--out <file>', 'where to write the plaintext (replaced only once it is complete)')
    .action(async (key: string, options: { out: string }) => {
      const { createWriteStream } = await import('node:fs')
      const { rename, rm } = await import('node:fs/promises')
      const { pipeline } = await import('node:stream/promises')
      const { loadConfig } = await import('../../config.js')
      const { withDatabase } = await import('../database.js')
      const { sealStorage } = await import('../../encryption/open.js')
      const { UnreadableObject } = await import('../../encryption/errors.js')
      const { openStorage, storageSettings } = await import('../../storage/open.js')
      const { CliError } = await import('../errors.js')
      const config = loadConfig()
      const store = await openStorage(storageSettings(config))
      const partial = `${options.out}.partial`
      try {
        await withDatabase(async ({ db }) => {
          const body = await sealStorage(store, db, config).get(key)
          if (!body) throw new CliError(`no object ${key} in ${store.description}`)
          await pipeline(body, createWriteStream(partial))
        })
        await rename(partial, options.out)
      } catch (error) {
        await rm(partial, { force: true })
        if (error instanceof UnreadableObject) throw new CliError(`cannot decrypt ${key}: ${error.why}`)
        throw error
      } finally {
        await store.close()
      }
    })
}
