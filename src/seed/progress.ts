import { progressBar, type ProgressStream } from '../core/progress.js'
import type { SeedProgress, SeedResult } from './seed.js'

export type { ProgressStream }

const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })

/** `orgspace seed`'s progress (a bar on a terminal, lines elsewhere), then a one-line summary. */
export function progressReporter(stream: ProgressStream) {
  const bar = progressBar(stream, 'seed', 'rows')
  return {
    update(progress: SeedProgress): void {
      bar.update(progress.done, progress.total, progress.phase, progress.elapsedMs)
    },

    /** Ends the bar without a summary (the seeding failed). */
    stop(): void {
      bar.stop()
    },

    finish(result: SeedResult): void {
      bar.stop()
      const { counts } = result
      const seconds = result.elapsedMs / 1000
      stream.write(
        `seeded organization ${result.slug} (${result.organizationId}): owner + ${number.format(counts.collaborators)} collaborators, ` +
          `${number.format(counts.apps)} apps, ${number.format(counts.devices)} devices, ${number.format(counts.audit)} audit events — ` +
          `${number.format(result.rows)} rows in ${seconds.toFixed(1)} s (${number.format(seconds > 0 ? result.rows / seconds : 0)} rows/s)\n`,
      )
    },
  }
}
