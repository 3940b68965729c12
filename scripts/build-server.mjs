// Builds the server into dist/ (or the folder given as the first argument, inside the project: the tests build
// their own, see test/global-build.ts) with esbuild: one file per entry (the command line and the two worker
// threads) plus the chunks they share, all in one folder, loaded on demand by the commands that need them.
//
// Why a bundle rather than one JavaScript file per TypeScript file: Node loads ES modules one file at a time,
// and two of our dependencies ship as hundreds of small ones (typebox 373, kysely 266). Loading those was the
// largest part of every start (`npm start`, each `npx orgspace …`); bundled, they load as a few files. Every
// other dependency stays in node_modules, loaded by Node as usual (native modules, CommonJS, files read at run
// time). The tests run the same source through the same compiler (tsx is esbuild), so what they prove holds here.
// Types are checked by `npm run typecheck`, not here.
import { readFileSync, rmSync } from 'node:fs'
import process from 'node:process'
import { URL } from 'node:url'
import { build } from 'esbuild'

const root = new URL('../', import.meta.url)
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'))
/** Pure ES module packages of many files, without dependencies of their own: bundled. */
const BUNDLED = new Set(['typebox', 'kysely'])
const external = Object.keys(pkg.dependencies)
  .filter((name) => !BUNDLED.has(name))
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
})
