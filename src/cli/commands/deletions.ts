import { InvalidArgumentError, type Command } from 'commander'
import { formatBytes } from '../../contract/units.js'
import { wholeNumber } from '../options.js'
import { operatorAction } from '../errors.js'
import { bulkCommand } from './bulk.js'

const STATUSES = ['scheduled', 'purging', 'completed', 'failed', 'restored'] as const
type Status = (typeof STATUSES)[number]

function status(value: string): Status {
  if (!(STATUSES as readonly string[]).includes(value))
    throw new InvalidArgumentError(`One of: ${STATUSES.join(', ')}.`)
  return value as Status
}

/** `12/30 (40%)` when the expected total is known, the count alone otherwise. */
function progress(done: number, total: number | undefined, show: (n: number) => string = String): string {
  if (total === undefined) return show(done)
  return `${show(done)}/${show(total)}${total > 0 ? ` (${Math.floor((100 * done) / total)}%)` : ''}`
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0)
const rowsOf = (counts: Record<string, number>) =>
  sum(Object.entries(counts).flatMap(([k, n]) => (k === 'bytes' ? [] : [n])))

/** The rows a deletion's purge has removed, and apart from them the bytes of builds (counts carry both). */
function purged(counts: Record<string, number>, expected: Record<string, number> | null): [string, string] {
  return [
    progress(rowsOf(counts), expected === null ? undefined : rowsOf(expected)),
    progress(counts.bytes ?? 0, expected === null ? undefined : (expected.bytes ?? 0), formatBytes),
  ]
}

export function deletionsCommands(program: Command): void {
  const deletions = program
    .command('deletions')
    .description("operators' view of every deletion: list, show, retry, and pause or resume all purges")

  deletions
    .command('list')
    .description(
      'newest first: id, status, organization, requested at, rows purged, bytes of builds removed, why it waits (tab-separated)',
    )
    .option('--status <status>', `only deletions with this status (${STATUSES.join(', ')})`, status)
    .option('--limit <N>', 'at most this many', wholeNumber, 100)
    .action(async (options: { status?: Status; limit: number }) => {
      const { withDatabase } = await import('../database.js')
      const { deletionReceipts } = await import('../../deletion/operator.js')
      const receipts = await withDatabase(({ db }) => deletionReceipts(db, options.status, options.limit))
      for (const r of receipts) {
        const org = r.organization.slug || r.organization.id
        const columns = [
          r.id,
          r.status,
          org,
          r.requestedAt,
          ...purged(r.counts, r.expected),
          r.waitingFor ?? r.error ?? '',
        ]
        process.stdout.write(`${columns.join('\t')}\n`)
      }
    })

  deletions
    .command('show')
    .description('one deletion receipt, as JSON')
    .argument('<deletionId>')
    .action(async (deletionId: string) => {
      const { withDatabase } = await import('../database.js')
      const { deletionReceipt } = await import('../../deletion/operator.js')
      const receipt = await operatorAction(() => withDatabase(({ db }) => deletionReceipt(db, deletionId)))
      process.stdout.write(`${JSON.stringify(receipt, null, 2)}\n`)
    })

  deletions
    .command('retry')
    .description('try a failed deletion again at the next poll instead of after its backoff')
    .argument('<deletionId>')
    .action(async (deletionId: string) => {
      const { withDatabase } = await import('../database.js')
      const { retryDeletion } = await import('../../deletion/operator.js')
      await operatorAction(() => withDatabase(({ db }) => retryDeletion(db, deletionId)))
      process.stdout.write(`retrying ${deletionId}\n`)
    })

  for (const [name, paused] of [
    ['pause', true],
    ['resume', false],
  ] as const) {
    deletions
      .command(name)
      .description(
        paused
          ? 'stop every purge, in every server and worker sharing this database, within one PURGE_POLL_MS'
          : 'let purges go on after a pause',
      )
      .action(async () => {
        const { withDatabase } = await import('../database.js')
        const { pauseDeletions } = await import('../../deletion/operator.js')
        await withDatabase(({ db }) => pauseDeletions(db, paused))
        process.stdout.write(paused ? 'deletions paused\n' : 'deletions resumed\n')
      })
  }

  bulkCommand(deletions)
}
