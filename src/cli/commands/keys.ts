import type { Command } from 'commander'

export function keysCommands(program: Command): void {
  const keys = program.command('keys').description('the Ed25519 keys deletion certificates are signed with')

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
}
