import type { Command } from 'commander'

export function keysCommands(program: Command): void {
  const keys = program.command('keys').description('the keys of this deployment')

  keys
    .command('rotate-master')
    .description(
      're-wrap every organization data key under a new master key (MASTER_KEY_FILE), then destroy the old one (resumable)',
    )
    .addHelpText(
      'after',
      '\nRestart every server and worker afterwards so none keeps the old key in memory. Progress goes to stderr.',
    )
    .action(async () => {
      const { loadConfig } = await import('../../config.js')
      const { withDatabase } = await import('../database.js')
      const { progressBar } = await import('../../core/progress.js')
      const { MasterKeys } = await import('../../encryption/master-key.js')
      const { rotateMasterKey, RotationRefused } = await import('../../encryption/rotation.js')
      const { CliError } = await import('../errors.js')
      const masterKeys = MasterKeys.load(loadConfig())
      const bar = progressBar(process.stderr, 'rotate-master', 'keys')
      try {
        const result = await withDatabase(({ db }) =>
          rotateMasterKey(db, masterKeys, (done, total) => bar.update(done, total, 'data keys')),
        )
        bar.stop()
        process.stderr.write(
          `${result.rewrapped} data keys re-wrapped under master key ${result.newKeyId}; ` +
            `${result.oldKeyId === null ? 'no old key' : `old key ${result.oldKeyId}`} destroyed\n`,
        )
      } catch (error) {
        bar.stop()
        if (error instanceof RotationRefused) throw new CliError(`rotation refused: ${error.message}`)
        throw error
      }
    })
}
