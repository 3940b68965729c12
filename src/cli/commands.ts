import { parseArgs, type ParseArgsConfig } from 'node:util'
import { loadConfig } from '../config.js'
import { openDatabase, type DatabaseHandle } from '../db/connect.js'
import { migrateToLatest } from '../db/migrate.js'

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message)
    this.name = 'CliError'
  }
}

export interface Command {
  name: string
  summary: string
  usage: string
  run(args: string[]): Promise<number>
}

/** Parses a command's options strictly: an unknown or malformed option is a usage error (exit 2). */
export function parseOptions<T extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: T,
  usageText: string,
) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values
  } catch (error) {
    throw new CliError(`${error instanceof Error ? error.message : String(error)}\n\n${usageText}`)
  }
}

export function positiveInteger(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback
  if (!/^\d+$/.test(value)) throw new CliError(`${flag} must be a whole number, got "${value}"`)
  return Number(value)
}

/** Opens DATABASE_URL (migrated unless told otherwise), runs `work`, and always closes the database. */
export async function withDatabase<T>(
  work: (database: DatabaseHandle) => Promise<T>,
  { migrate = true } = {},
): Promise<T> {
  const config = loadConfig()
  const database = openDatabase(config.DATABASE_URL)
  try {
    if (migrate) await migrateToLatest(database.db)
    return await work(database)
  } finally {
    await database.close()
  }
}

const registry: Command[] = []

export const commands: readonly Command[] = registry

export function registerCommand(command: Command): void {
  registry.push(command)
}

export function usage(): string {
  const width = Math.max(...registry.map((c) => c.name.length))
  return [
    'orgspace — organization workspaces API',
    '',
    'Usage: orgspace <command> [options]',
    '',
    'Commands:',
    ...registry.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Every command reads DATABASE_URL (default sqlite:./data/orgspace.db). `orgspace <command> --help` for options.',
    '',
  ].join('\n')
}
