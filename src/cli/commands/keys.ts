import type { Command } from 'commander'

export function keysCommands(program: Command): void {
  const keys = program
    .command('keys')
    .description(
      'the keys of this deployment: the signing keys of certificates, the master key of stored objects',
    )

  keys
    .command('rotate')
    .description(
      'make a new key the signing key; earlier public keys stay in the JWKS, so old certificates verify',
    )
    .addHelpText(
      'after',
      '\nReads SIGNING_KEY_FILE (every process of a deployment shares it; running ones pick the new key up).\n' +
        'Prints the new key id (its RFC 7638 thumbprint).',
    )
    .action(async () => {
      const { loadConfig } = await import('../../config.js')
      const { SigningKeys } = await import('../../deletion/signing-keys.js')
      const kid = await new SigningKeys(loadConfig().SIGNING_KEY_FILE).rotate()
      process.stdout.write(`${kid}\n`)
    })

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
