import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { OrganizationParams } from '../../src/organizations/schemas.js'
import { cascadeDelete } from './cascade.js'

// The baseline server: the very same orgspace app (so neighbours' requests cost the same), plus one route that
// deletes an organization the common way, inside the request. It runs with PURGE_WORKER=off: it never purges.

export const CASCADE_ROUTE = '/baseline/v1/organizations/:organizationId'

async function main(): Promise<void> {
  const config = loadConfig()
  const app = await buildApp({ config })
  await app.register(async (scope) => {
    scope.addHook('onRequest', scope.requireAuth)
    scope.delete<{ Params: { organizationId: string } }>(
      CASCADE_ROUTE,
      { schema: { params: OrganizationParams } },
      async (request) => {
        const { rows } = await cascadeDelete(app.db, request.auth, request.params.organizationId)
        return { status: true, data: { delete: 'OK', rows } }
      },
    )
  })
  const shutdown = () => {
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.once('SIGTERM', shutdown)
  process.once('SIGINT', shutdown)
  await app.listen({ port: config.PORT, host: config.HOST })
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
