import type { SeedProgress, SeedResult } from './seed.js'

/** Where progress goes: stderr in the CLI, a string buffer in tests. */
export interface ProgressStream {
  isTTY?: boolean
  write(text: string): unknown
}

const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })

/**
 * Reports seeding progress for a human. On a terminal it redraws one line in place (at most ten times a
 * second); in a log or a pipe, where `\r` would pile up, it writes one line per tenth of the work.
 */
export function progressReporter(stream: ProgressStream) {
  let lastDraw = -Infinity
  let lastTenth = 0
  let drawn = false

  const line = ({ phase, done, total, elapsedMs }: SeedProgress) => {
    const seconds = elapsedMs / 1000
    const rate = seconds > 0 ? done / seconds : 0
    const percent = total > 0 ? (done * 100) / total : 100
    return `seed: ${number.format(done)}/${number.format(total)} rows (${percent.toFixed(1)}%), ${phase}, ${number.format(rate)} rows/s`
  }

  return {
    update(progress: SeedProgress): void {
      if (stream.isTTY) {
        if (progress.elapsedMs - lastDraw < 100 && progress.done < progress.total) return
        lastDraw = progress.elapsedMs
        drawn = true
        stream.write(`\r${line(progress)}\x1b[K`)
        return
      }
      const tenth = progress.total > 0 ? Math.floor((progress.done * 10) / progress.total) : 10
      if (tenth <= lastTenth) return
      lastTenth = tenth
      stream.write(`${line(progress)}\n`)
    },

    finish(result: SeedResult): void {
      if (drawn) stream.write('\n')
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
