// The module rules of orgspace, checked in CI (`npm run lint:modules`).
//
// The top-level entries of src/ form one order; each may import only those before it. Read from the bottom up,
// it is also the order in which to read the code: the contract and a few domain-free helpers, the database,
// the background runtime and the HTTP plumbing, then the domain modules, then the app and its entry points.
const LAYERS = [
  'contract', // error codes, permission strings, answer types: no runtime imports (the dashboard uses it too)
  'core', // AppError, the permission policy, pagination, the clock: no I/O
  'root',
  'config',
  'mail',
  'db', // connections, the dialect object, migrations, catalog
  'startup-error',
  'jobs', // the one background runtime
  'http', // envelope, auth, limits, docs: plumbing that knows no domain module
  'storage',
  'encryption', // master and data keys, the encrypted object format, encrypted storage
  'tokens',
  'outbox', // what every change writes beside itself: its audit row and its event
  'organizations',
  'idempotency', // Idempotency-Key claims and kept answers (the HTTP hook is in http/, handed the store by the app)
  'users',
  'audit',
  'collaborators',
  'subscriptions',
  'apps',
  'devices',
  'app-tokens',
  'builds',
  'webhooks',
  'retention', // builds and history expiring by each organization's policy; run by the purge's job
  'deletion',
  'events', // delivery of the outbox's events
  'integrations',
  'exports',
  'seed',
  'app',
  'server',
  'cli',
]

const moduleOf = (name) => `^src/${name}(/|\\.ts$)`

const layerRules = LAYERS.slice(0, -1).map((name, rank) => ({
  name: `layer-${name}`,
  comment: `${name} may import only the modules listed before it in .dependency-cruiser.cjs`,
  severity: 'error',
  from: { path: moduleOf(name) },
  to: { path: LAYERS.slice(rank + 1).map(moduleOf) },
}))

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Files import one another in one direction only.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'unknown-module',
      comment: 'Every top-level entry of src/ has its place in LAYERS.',
      severity: 'error',
      from: { path: '^src/', pathNot: LAYERS.map(moduleOf) },
      to: {},
    },
    ...layerRules,
    {
      name: 'http-only-from-routes',
      comment:
        'Only route files (routes.ts, <name>-routes.ts) and the app use the HTTP plumbing; services and repositories never do.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/http/', '^src/app\\.ts$', '[/-]routes\\.ts$'] },
      to: { path: '^src/http/' },
    },
    {
      name: 'app-only-from-entry-points',
      comment: 'buildApp() is for the server, the CLI and the tests.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/server\\.ts$', '^src/cli/', '^src/app\\.ts$'] },
      to: { path: '^src/app\\.ts$' },
    },
  ],
  options: {
    includeOnly: '^src/',
    exclude: { path: '^src/web/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
}
