import type { Command } from 'commander'

export function ledgerCommands(program: Command): void {
  const ledger = program
    .command('ledger')
    .description(
      'the deletion ledger (LEDGER_URL), kept outside the database so a restored backup stays deleted',
    )

  ledger
    .command('check')
    .description('compare the ledger with the database; one line per difference (exit 1 when any)')
    .addHelpText(
      'after',
      '\nPrints `organization_exists` (a tombstone names an organization the database holds again) or\n' +
        '`tombstone_missing` (a deletion whose purge started is not in the ledger), with the ids, tab-separated.',
    )
    .action(async () => {
      const { withProof } = await import('../certificates.js')
      const { compareLedger } = await import('../../deletion/replay.js')
      const { tombstones, differences } = await withProof(({ db }, proof) => compareLedger(db, proof.ledger))
      for (const { kind, tombstone: t } of differences)
        process.stdout.write(
          `${kind}\t${t.organizationId}\t${t.deletionId}\t${t.requestedBy}\t${t.requestedAt}\n`,
        )
      process.stderr.write(`${tombstones} tombstones, ${differences.length} differences\n`)
      if (differences.length > 0) process.exitCode = 1
    })

  ledger
    .command('replay')
    .description(
      'delete again every organization a tombstone names that exists again (what serve and worker do at start)',
    )
    .action(async () => {
      const { withProof } = await import('../certificates.js')
      const { replayLedger } = await import('../../deletion/replay.js')
      const result = await withProof(({ db }, proof) =>
        replayLedger(db, proof.ledger, new Date().toISOString()),
      )
      for (const r of result.replayed)
        process.stdout.write(`replayed\t${r.organizationId}\t${r.deletionId}\t${r.replayOf}\n`)
      process.stderr.write(
        `${result.tombstones} tombstones, ${result.replayed.length} organizations deleted again, ${result.rewritten} tombstones written again\n`,
      )
    })
}
