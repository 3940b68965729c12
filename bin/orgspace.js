#!/usr/bin/env node
// orgspace's command line, and `npm start` (`orgspace serve`). It runs the compiled service in dist/, which
// `npm ci` builds and `npm run build` rebuilds; `npm run dev` runs the TypeScript source itself.
//
// This folder is a package of its own (bin/package.json), a dependency of the project, so that `npm ci` links
// the command into node_modules/.bin: there `npx orgspace` finds it and runs it at once. Declared as the
// project's own `bin`, npx instead installs the project into its cache and reads every installed package's
// manifest on each call, which cost more than a second per command.
import { existsSync, readdirSync, statSync } from 'node:fs'
import module from 'node:module'
import { fileURLToPath } from 'node:url'

const root = new URL('../', import.meta.url)
const entry = new URL('dist/cli.js', root)

/**
 * The newest modification time of the files under `dir` (0 when there is no such folder). It runs before every
 * command, `--help` included, so it walks with file types and string paths: a recursive `readdirSync` and a URL
 * per file cost several times more (BENCHMARKS.md).
 */
function newestChange(dir) {
  if (!existsSync(dir)) return 0
  let newest = 0
  for (const item of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${item.name}`
    newest = Math.max(newest, item.isDirectory() ? newestChange(path) : statSync(path).mtimeMs)
  }
  return newest
}

if (!existsSync(entry)) {
  process.stderr.write('orgspace: the compiled service (dist/) is missing: run npm run build\n')
  process.exit(1)
}
// A checkout changed after the build (an edit, a pull) would otherwise run the old code without a word.
if (newestChange(fileURLToPath(new URL('src', root))) > statSync(entry).mtimeMs) {
  process.stderr.write(
    'orgspace: warning: src/ changed after dist/ was built; running the older build (npm run build updates it)\n',
  )
}
// Node 22.1 and later can keep V8's compiled code of every module between runs (in the system's temporary
// folder), which shortens every later start; Node 20 has no such cache.
module.enableCompileCache?.()
await import(entry.href)
