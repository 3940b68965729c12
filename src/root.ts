// The project's root folder, for files shipped beside the code (package.json, the built dashboard). This module
// sits directly in src/, and the build (scripts/build-server.mjs) writes every file directly in dist/: from either,
// the root is one folder up.
export const ROOT = new URL('../', import.meta.url)
