import { CommanderError } from 'commander'
import { CliError } from './cli/errors.js'
import { createProgram } from './cli/program.js'

// `orgspace <command> [options]`. Results go to stdout, progress and errors to stderr, so the output can be
// captured (`TOKEN=$(npx orgspace user create …)`). Exit codes: 0 done, 1 failed, 2 usage error.

async function exitCode(error: unknown): Promise<number> {
  // Commander has already printed its message (or the help that was asked for).
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2
  if (error instanceof CliError) {
    process.stderr.write(`orgspace: ${error.message}\n`)
    return error.exitCode
  }
  const { reportStartupError } = await import('./startup-error.js')
  reportStartupError(error)
  return 1
}

// A reader that stops early (`orgspace deletions list | head`) closes the pipe: that ends the command, quietly,
// as it does for other Unix tools, rather than with an unhandled EPIPE and its stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error
    process.exit(process.exitCode ?? 0)
  })
}

try {
  await createProgram().parseAsync(process.argv)
} catch (error) {
  process.exitCode = await exitCode(error)
}
