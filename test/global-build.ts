import { execFile } from 'node:child_process'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { TestProject } from 'vitest/node'
import { ROOT } from './support/processes.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** The server compiled for this run; the child processes of tests start from it. */
    serverBuild: string
  }
}

/**
 * Both projects: the server compiled from the current source exactly as `npm ci` compiles it, into a folder of
 * this run's own, so that the servers, workers and commands tests start as processes run as plain node. From
 * source each of them first had tsx compile every module again: seconds per process, and the suite starts some
 * hundred. What runs in the test process itself still comes from source.
 */
export default async function setup(project: TestProject) {
  const folder = join('.test-build', `${project.name}-${process.pid}`)
  await promisify(execFile)(process.execPath, ['scripts/build-server.mjs', folder], { cwd: ROOT })
  project.provide('serverBuild', join(ROOT, folder))
  return () => rmSync(join(ROOT, folder), { recursive: true, force: true })
}
