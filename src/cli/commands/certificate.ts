import type { Command } from 'commander'

export function certificateCommands(program: Command): void {
  const certificate = program
    .command('certificate')
    .description('signed certificates of completed deletions: get one, or verify one offline')

  certificate
    .command('get')
    .description(
      "a completed deletion's certificate (issued now for one completed before certificates existed)",
    )
    .argument('<deletionId>')
    .option('--out <file>', 'write it to this file instead of stdout')
    .addHelpText('after', '\nReads DATABASE_URL, STORAGE_URL, LEDGER_URL and SIGNING_KEY_FILE.')
    .action(async (deletionId: string, options: { out?: string }) => {
      const { certificateForOperator } = await import('../certificates.js')
      const token = await certificateForOperator(deletionId)
      if (options.out) {
        const { writeFile } = await import('node:fs/promises')
        await writeFile(options.out, `${token}\n`)
        process.stderr.write(`certificate of ${deletionId} written to ${options.out}\n`)
      } else process.stdout.write(`${token}\n`)
    })

  certificate
    .command('verify')
    .description(
      'check a certificate against the JWKS and say what it proves (exit 1 with the reason if invalid)',
    )
    .argument('<file>', 'the certificate (a JWT) as saved')
    .option(
      '--jwks <file|url>',
      "the issuer's JWKS: a saved file verifies offline (default: <iss>/.well-known/jwks.json)",
    )
    .action(async (file: string, options: { jwks?: string }) => {
      const { verifyCertificateFile } = await import('../verify-certificate.js')
      const words = await verifyCertificateFile(file, options.jwks)
      process.stdout.write(`valid\n${words}\n`)
    })
}
