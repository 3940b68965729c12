import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/**
 * The project's root folder, for files shipped beside the code (package.json, the built dashboard): the nearest
 * folder above this module holding a package.json. This module is in src/ when run from source, and in the build's
 * folder when compiled (dist/, or the tests' build, see scripts/build-server.mjs); neither holds a package.json.
 */
function projectRoot(from: URL): URL {
  for (let dir = new URL('./', from); ;) {
    if (existsSync(new URL('package.json', dir))) return dir
    const parent = new URL('../', dir)
    if (parent.href === dir.href) throw new Error(`no package.json above ${from.href}`)
    dir = parent
  }
}

export const ROOT = projectRoot(new URL(import.meta.url))

/** orgspace's version, as users see it in /docs, archives, certificates and `orgspace --version`: the package's own. */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as { version: string }
).version

// `./x` at the start of a setting, after its scheme if it has one (`sqlite:./x`, `file:./x`, `./x`).
const PROJECT_RELATIVE = /^([a-z][a-z0-9+.-]*:)?\.\//

/**
 * A default setting's `./…` path as a path in the project's own folder. A command run from another folder must
 * find the same database, storage and key files as the server (`npx orgspace user create` in a subfolder would
 * otherwise print a token for a database of its own). Paths a user gives stay relative to where they are.
 */
export function inProjectRoot(value: string): string {
  return value.replace(
    PROJECT_RELATIVE,
    (_match, scheme: string | undefined) => `${scheme ?? ''}${fileURLToPath(ROOT)}`,
  )
}
