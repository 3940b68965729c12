import { InvalidArgumentError, type Command } from 'commander'
import type { BulkLine, BulkSummary } from '../../deletion/bulk.js'
import { CliError } from '../errors.js'
import { wholeNumber } from '../options.js'

function perMinute(value: string): number {
  const n = wholeNumber(value)
  if (n < 1) throw new InvalidArgumentError('At least 1.')
  return n
}

/** One line of the run's output: the reference as written, the organization's id, and what became of it. */
function lineText({ ref, organizationId, outcome }: BulkLine): string {
  const said = (() => {
    switch (outcome.kind) {
      case 'preview': {
        const counts = Object.entries(outcome.counts)
          .map(([name, n]) => `${name}=${n}`)
          .join(' ')
        const blocked = outcome.blockers.length > 0 ? `blocked: ${outcome.blockers.join('; ')}` : 'deletable'
        return `${blocked}\t${counts}`
      }
      case 'requested':
        return `requested\t${outcome.deletionId}`
      case 'already-deleted':
        return `already deleted${outcome.deletionId ? `\t${outcome.deletionId}` : ''}`
      case 'blocked':
        return `blocked: ${outcome.reason}`
      case 'not-found':
        return 'not found'
      case 'repeated':
        return 'repeated (counted once)'
    }
  })()
  return `${ref}\t${organizationId ?? '-'}\t${said}\n`
}

function summaryText(summary: BulkSummary, dryRun: boolean): string {
  const lines = [
    (dryRun
      ? `dry run: ${summary.deletable} deletable, ${summary.requested} already deleted, `
      : `${summary.requested} requested, `) +
      `${summary.blocked.length} blocked, ${summary.notFound.length} not found`,
    ...summary.blocked.map((b) => `blocked: ${b.ref} (${b.reason})`),
    ...summary.notFound.map((ref) => `not found: ${ref}`),
  ]
  return `${lines.join('\n')}\n`
}

export function bulkCommand(deletions: Command): void {
  deletions
    .command('bulk')
    .description(
      'delete every workspace a file names (one id or slug a line), each as its owner, paced and obeying `deletions pause`',
    )
    .requiredOption('--file <path>', 'the ids or slugs, one a line (blank lines and repeats are fine)')
    .option('--dry-run', "print each workspace's deletion preview and blockers; change nothing", false)
    .option('--per-minute <N>', 'request at most this many deletions a minute', perMinute, 60)
    .addHelpText(
      'after',
      '\nOne line per workspace on stdout (reference, id, outcome), then a summary; progress on stderr.\n' +
        'Exit 1 when any workspace was not deleted (blocked or not found).',
    )
    .action(async (options: { file: string; dryRun: boolean; perMinute: number }) => {
      const { readFile } = await import('node:fs/promises')
      const { loadConfig } = await import('../../config.js')
      const { withDatabase } = await import('../database.js')
      const { bulkRefs, runBulkDeletion } = await import('../../deletion/bulk.js')
      const { systemClock } = await import('../../core/clock.js')
      const { progressBar } = await import('../../core/progress.js')
      const text = await readFile(options.file, 'utf8').catch((error: NodeJS.ErrnoException) => {
        throw new CliError(`cannot read --file ${options.file}: ${error.code ?? error.message}`)
      })
      const refs = bulkRefs(text)
      const config = loadConfig()
      const progress = progressBar(process.stderr, 'bulk', 'workspaces')
      const summary = await withDatabase(({ db }) =>
        runBulkDeletion(db, refs, {
          dryRun: options.dryRun,
          perMinute: options.perMinute,
          policy: {
            graceSeconds: config.DELETION_GRACE_SECONDS,
            quarantineSeconds: config.SLUG_QUARANTINE_SECONDS,
          },
          clock: systemClock,
          sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
          pollMs: config.PURGE_POLL_MS,
          onLine: (line, done, total) => {
            process.stdout.write(lineText(line))
            if (!options.dryRun) progress.update(done, total, line.outcome.kind)
          },
        }),
      ).finally(() => progress.stop())
      process.stdout.write(summaryText(summary, options.dryRun))
      if (summary.blocked.length + summary.notFound.length > 0) process.exitCode = 1
    })
}
