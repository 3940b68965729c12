import type { TestApp } from './app.js'
import { runNode, type Run } from './processes.js'

/** The settings a command needs to work on the same database, storage and master key as the test app. */
export function deploymentEnv(t: TestApp): Record<string, string> {
  const { config } = t
  return {
    DATABASE_URL: t.url,
    STORAGE_URL: config.STORAGE_URL,
    S3_ENDPOINT: config.S3_ENDPOINT,
    S3_REGION: config.S3_REGION,
    S3_FORCE_PATH_STYLE: config.S3_FORCE_PATH_STYLE,
    MASTER_KEY: config.MASTER_KEY,
    MASTER_KEY_FILE: config.MASTER_KEY_FILE,
  }
}

/** `npx orgspace …args` against the test app's deployment, run to its end. */
export function orgspace(t: TestApp, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return runNode('src/cli.ts', args, { ...deploymentEnv(t), ...env })
}
