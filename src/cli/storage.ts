import { loadConfig } from '../config.js'
import { checkStorage, removeStrays } from '../storage/check.js'
import { openStorage, storageSettings } from '../storage/storage.js'
import { parseOptions, registerCommand, withDatabase } from './commands.js'

const usage =
  'orgspace storage check [--fix]\n  compares STORAGE_URL with the builds table: objects without a build, builds without an object (exit 1 when any);\n  --fix removes the objects without a build (never one of a live build)'

registerCommand({
  name: 'storage check',
  summary: 'find objects without a build and builds without an object; --fix removes the strays',
  usage,
  async run(args) {
    const options = parseOptions(args, { fix: { type: 'boolean', default: false } }, usage)
    const storage = await openStorage(storageSettings(loadConfig()))
    try {
      return await withDatabase(async ({ db }) => {
        const found = await checkStorage(db, storage)
        for (const stray of found.strays) process.stdout.write(`stray\t${stray.key}\t${stray.size}\n`)
        for (const key of found.missing) process.stdout.write(`missing\t${key}\n`)
        const removed = options.fix ? await removeStrays(db, storage, found.strays) : 0
        process.stderr.write(
          `${storage.description}: ${found.strays.length} without a build${options.fix ? ` (${removed} removed)` : ''}, ` +
            `${found.missing.length} builds without an object, ${found.pending} queued for removal\n`,
        )
        return found.strays.length + found.missing.length > 0 ? 1 : 0
      })
    } finally {
      await storage.close()
    }
  },
})
