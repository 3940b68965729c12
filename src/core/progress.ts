import cliProgress from 'cli-progress'

/** Where progress goes: stderr in a command, a string buffer in tests. */
export interface ProgressStream {
  isTTY?: boolean
  columns?: number
  write(text: string): unknown
}

export interface Progress {
  /** `done` of `total` so far; `step` names the part of the work under way. */
  update(done: number, total: number, step: string, elapsedMs?: number): void
  /** Ends the bar (leaving it drawn, complete or not); lines written after it start on a line of their own. */
  stop(): void
}

const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })

/**
 * A command's progress on `stream`. On a terminal, a cli-progress bar redrawn in place (at most ten times a
 * second). In a log or a pipe, where redraws would pile up, one plain line per tenth of the work:
 * `seed: 100/1,000 rows (10.0%), devices, 1,000 rows/s`.
 */
export function progressBar(stream: ProgressStream, label: string, unit: string): Progress {
  const started = Date.now()
  const rate = (done: number, elapsedMs: number) =>
    number.format(elapsedMs > 0 ? (done * 1000) / elapsedMs : 0)

  if (!stream.isTTY) {
    let lastTenth = 0
    return {
      update(done, total, step, elapsedMs = Date.now() - started) {
        const tenth = total > 0 ? Math.floor((done * 10) / total) : 10
        if (tenth <= lastTenth) return
        lastTenth = tenth
        const percent = total > 0 ? (done * 100) / total : 100
        stream.write(
          `${label}: ${number.format(done)}/${number.format(total)} ${unit} (${percent.toFixed(1)}%), ${step}, ${rate(done, elapsedMs)} ${unit}/s\n`,
        )
      },
      stop() {},
    }
  }

  const bar = new cliProgress.SingleBar(
    {
      stream: stream as NodeJS.WritableStream,
      format: `${label} {bar} {percentage}% | {value}/{total} ${unit} | {step} | {rate} ${unit}/s`,
      formatValue: (value, _options, type) =>
        type === 'value' || type === 'total' ? number.format(value) : String(value),
      // Leave the terminal's cursor and line wrapping alone: a command killed mid-bar must not leave them changed.
      hideCursor: false,
      linewrap: true,
      barsize: 30,
    },
    cliProgress.Presets.shades_classic,
  )
  let running = false
  return {
    update(done, total, step, elapsedMs = Date.now() - started) {
      const payload = { step, rate: rate(done, elapsedMs) }
      if (!running) {
        running = true
        bar.start(total, done, payload)
        return
      }
      bar.setTotal(total)
      bar.update(done, payload)
    },
    stop() {
      if (!running) return
      running = false
      // Draws the last state and moves to the next line, leaving the bar on screen.
      bar.stop()
    },
  }
}
