import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Config } from '../config.js'
import { authenticateAppToken, type AppTokenAuth } from '../app-tokens/service.js'
import { acceptUploads, UPLOAD_DESCRIPTION } from '../builds/routes.js'
import { BuildListQuery, BuildPage, BuildSchema } from '../builds/schemas.js'
import { answers, ok, Ok } from '../http/envelope.js'
import { formParts } from '../http/multipart.js'
import { ErrorCode } from '../core/errors.js'
import { CiUploadForm } from './form.js'
import { listFromCi, uploadFromCi } from './service.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The app token of an integration route; set by this scope's onRequest hook. */
    appToken: AppTokenAuth
  }
}

const tags = ['Integrations']
const gone = answers(ErrorCode.EntityNotFound, "the token's app or organization no longer exists")

/**
 * Applivery's CI upload API, so its fastlane plugin, Gradle plugin and Bitrise steps work against orgspace by
 * changing only the host. Authenticated by app tokens (`Authorization: bearer <token>`), which work here and
 * nowhere else; users' tokens do not work here.
 */
export const integrationRoutes: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  const intake = await acceptUploads(app, config)
  app.decorateRequest('appToken', null as unknown as AppTokenAuth)
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, appToken: true }
  })
  app.addHook('onRequest', async (request) => {
    request.appToken = await authenticateAppToken(app.db, request.headers.authorization)
  })

  app.post(
    '/integrations/builds',
    {
      config: { errors: [gone, ErrorCode.Unavailable], form: CiUploadForm },
      schema: {
        operationId: 'uploadBuildFromCi',
        tags,
        summary: 'Upload a build from CI (Applivery-compatible)',
        description: `Authorization: bearer <app token> (any case). ${UPLOAD_DESCRIPTION} Parts: \`build\` (the file, required), \`versionName\`, \`changelog\`, \`tags\` (comma-separated), \`filter\`, \`notifyCollaborators\`, \`notifyEmployees\`, \`notifyMessage\`, and the deployer as \`deployer[name]\` / \`deployer[info][commit]\` or \`deployer.name\` / \`deployer.info.commit\` (commit, commitMessage, branch, tag, buildNumber, triggerTimestamp, buildUrl, ciUrl, repositoryUrl). Other parts are accepted and ignored.`,
        consumes: ['multipart/form-data'],
        security: [{ appToken: [] }],
        response: { 200: Ok(BuildSchema, 'The stored build (Applivery answers its id in `data.id`)') },
      },
    },
    async (request) => ok(await uploadFromCi(intake, request.appToken, formParts(request))),
  )

  app.get(
    '/integrations/builds',
    {
      config: { errors: [gone] },
      schema: {
        operationId: 'listBuildsFromCi',
        tags,
        summary: "List the builds of the app token's app",
        description: 'Authorization: bearer <app token> (any case).',
        security: [{ appToken: [] }],
        querystring: BuildListQuery,
        response: { 200: Ok(BuildPage, "One page of the app's builds") },
      },
    },
    async (request) => ok(await listFromCi(app.db, request.appToken, request.query)),
  )
}
