// Builds the server into dist/ (or the folder given as the first argument, inside the project: the tests build
// their own, see test/global-build.ts) with esbuild: one file per entry (the command line and the two worker
// threads) plus the chunks they share, all in one folder, loaded on demand by the commands that need them.
//
// Why a bundle rather than one JavaScript file per TypeScript file: Node loads modules one file at a time, and
// finds each through node_modules (a stat, a package.json, a realpath per file). The server's dependencies are
// hundreds of small files (typebox 373, kysely 266, fastify and its plugins, pino, ajv…): loading them was the
// largest part of every start (`npm start`, each `npx orgspace …`). Bundled, they load as a few files: `serve`
// answered /healthz in 589 ms instead of 772 ms (medians of 7, same machine, same load). What stays in
// node_modules is listed below, each for a reason. The tests run the same source through the same compiler (tsx
// is esbuild), and the processes they start run this build (test/global-build.ts). Types are checked by
// `npm run typecheck`, not here.
import { readFileSync, rmSync } from 'node:fs'
import process from 'node:process'
import { URL } from 'node:url'
import { build } from 'esbuild'

const root = new URL('../', import.meta.url)
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'))
/** Dependencies left in node_modules and loaded by Node as usual. */
const EXTERNAL = new Set([
  // a native module
  'better-sqlite3',
  // loaded only by the commands or settings that need them (PostgreSQL, Redis, SMTP, S3, export, progress bars)
  'pg',
  'ioredis',
  'nodemailer',
  '@aws-sdk/client-s3',
  '@aws-sdk/lib-storage',
  'tar-stream',
  'cli-progress',
  // files read at run time, found through the package (the API reference's renderer)
  '@scalar/fastify-api-reference',
  // tools, not the service
  'tsx',
  'orgspace-cli',
])
const external = Object.keys(pkg.dependencies)
  .filter((name) => EXTERNAL.has(name))
  .flatMap((name) => [name, `${name}/*`])

const outdir = process.argv[2] ?? 'dist'
rmSync(new URL(outdir, root), { recursive: true, force: true })
await build({
  absWorkingDir: new URL('.', root).pathname,
  entryPoints: {
    cli: 'src/cli.ts',
    'purge-thread': 'src/deletion/thread.ts',
    'delivery-thread': 'src/events/thread.ts',
  },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  chunkNames: 'chunk-[hash]',
  logLevel: 'warning',
  // Bundled CommonJS packages call require() (Node's own modules, mostly), which an ES module does not have.
  banner: {
    js: "import { createRequire as orgspaceRequire } from 'node:module'; const require = orgspaceRequire(import.meta.url);",
  },
})
