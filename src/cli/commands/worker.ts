import type { Command } from 'commander'

export function workerCommand(program: Command): void {
  program
    .command('worker')
    .description(
      'run the background jobs (purge, event delivery, exports) alone, without HTTP, until SIGTERM or SIGINT',
    )
    .addHelpText(
      'after',
      '\nReads DATABASE_URL, LOG_LEVEL, PURGE_BATCH_TARGET_MS, PURGE_POLL_MS, PURGE_LEASE_MS, STORAGE_URL,\n' +
        'EVENT_WORKER (off: no delivery), EVENT_POLL_MS, WEBHOOK_*, SMTP_URL, SMTP_FROM, EXPORT_TTL_SECONDS.\n' +
        'Logs go to stdout.\n' +
        'On SIGTERM or SIGINT it stops between batches and exits 0; a second signal exits at once with 1.\n' +
        'A database it cannot reach or migrate at start is an error (exit 1); a supervisor should restart it.',
    )
    .action(async () => {
      const { runWorker } = await import('../worker.js')
      await runWorker()
    })
}
