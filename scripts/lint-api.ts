// Lints the OpenAPI document the app serves with Redocly's recommended rules, and fails on any error, warning
// or ignored problem: the document is built by buildApp, exactly as /v1/openapi.json serves it.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'

interface Problem {
  ruleId: string
  severity: string
  message: string
  location: { pointer: string }[]
}

async function openApiDocument(): Promise<unknown> {
  const config = loadConfig({
    DATABASE_URL: 'sqlite::memory:',
    LOG_LEVEL: 'silent',
    PURGE_WORKER: 'off',
    RATE_LIMIT: 'off',
  })
  const app = await buildApp({ config })
  try {
    await app.ready()
    // Routes compile their schemas on first use (src/http/on-first-use.ts): here every one must compile.
    app.compileSchemas()
    return app.swagger()
  } finally {
    await app.close()
  }
}

const dir = mkdtempSync(join(tmpdir(), 'orgspace-openapi-'))
try {
  const file = join(dir, 'openapi.json')
  writeFileSync(file, JSON.stringify(await openApiDocument(), null, 2))
  const redocly = createRequire(import.meta.url).resolve('@redocly/cli/bin/cli.js')
  const run = spawnSync(
    process.execPath,
    [redocly, 'lint', file, '--extends=recommended', '--format=json', '--max-problems=1000'],
    {
      encoding: 'utf8',
      // No usage reports or update checks from CI.
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    },
  )
  let report: { totals: { errors: number; warnings: number; ignored: number }; problems: Problem[] }
  try {
    report = JSON.parse(run.stdout) as typeof report
  } catch {
    process.stderr.write(run.stderr)
    throw new Error(`redocly lint did not report (exit ${String(run.status)})`)
  }
  for (const p of report.problems) {
    console.log(`${p.severity} ${p.ruleId} at ${p.location[0]?.pointer ?? '?'}: ${p.message}`)
  }
  const { errors, warnings, ignored } = report.totals
  console.log(
    `OpenAPI document: ${errors} errors, ${warnings} warnings, ${ignored} ignored (redocly recommended)`,
  )
  if (errors + warnings + ignored > 0) process.exitCode = 1
} finally {
  rmSync(dir, { recursive: true, force: true })
}
