import { existsSync, readFileSync } from 'node:fs'

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

/** orgspace's version, as users see it in /docs, archives and certificates: the package's own. */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as { version: string }
).version
