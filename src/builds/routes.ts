import type { Readable } from 'node:stream'
import multipart from '@fastify/multipart'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import type { Config } from '../config.js'
import { AppParams } from '../apps/schemas.js'
import { answers, DeleteResult, ok, Ok } from '../http/envelope.js'
import { AppError, ErrorCode } from '../core/errors.js'
import { Permission } from '../core/permissions.js'
import { openDownload } from './download.js'
import type { Intake } from './intake.js'
import { BuildListQuery, BuildPage, BuildParams, BuildSchema, BuildUploadForm } from './schemas.js'
import { buildForm, findVisibleBuild, getBuild, listAppBuilds, removeBuild, uploadBuild } from './service.js'
import type { BuildDetails } from './intake.js'
import { BuildFields } from './schemas.js'
import { formParts } from '../http/multipart.js'
import { formFields } from '../http/validation.js'

const BUILD_FORM = buildForm(formFields<BuildDetails>(BuildFields))

const tags = ['Builds']

/** A streamed body: sent as is, never serialized. */
const Bytes = (description: string) =>
  Type.Unsafe<Readable | null>({ type: 'string', format: 'binary', description })

const one = (header: string | string[] | undefined) => (Array.isArray(header) ? header[0] : header)
const base = '/organizations/:organizationId/apps/:applicationId/builds'
const noSuchApp = answers(ErrorCode.EntityNotFound, 'no such application in the organization')
const noSuchBuild = answers(ErrorCode.EntityNotFound, 'no such application, or no such build of it')

/** Upload limits and multipart parsing for the routes of this scope only (and of integrations/routes.ts). */
export async function acceptUploads(app: FastifyInstance, config: Config): Promise<Intake> {
  await app.register(multipart, {
    // The meter of builds/form.ts enforces BUILD_MAX_BYTES and answers 413; the parser stops one byte later.
    limits: {
      fileSize: config.BUILD_MAX_BYTES + 1,
      fieldSize: 64 * 1024,
      fields: 100,
      files: 10,
      parts: 200,
    },
    throwFileSizeLimit: false,
  })
  // An upload refused before its body was read: the connection closes after the answer, so the client stops
  // sending (rather than the server reading gigabytes only to discard them).
  app.addHook('onSend', async (request, reply) => {
    if (reply.statusCode >= 400 && request.isMultipart() && !request.raw.readableEnded)
      reply.header('connection', 'close')
  })
  return {
    db: app.db,
    storage: app.storage,
    maxBytes: config.BUILD_MAX_BYTES,
    // Node cuts a request after REQUEST_TIMEOUT_MS; a minute more covers the storage finishing the last write.
    deadlineMs: config.REQUEST_TIMEOUT_MS + 60_000,
    log: app.log,
  }
}

export const UPLOAD_DESCRIPTION =
  'multipart/form-data, streamed to storage (size and SHA-256 computed on the way). Lookup, membership and permission are checked before the body is read; the text parts are checked as they arrive. Over BUILD_MAX_BYTES: 413 / 3002, and nothing is kept.'

export const buildRoutes: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  const intake = await acceptUploads(app, config)

  app.get(
    base,
    {
      config: { permission: Permission.BuildList, errors: [noSuchApp] },
      schema: {
        operationId: 'listBuilds',
        tags,
        summary: "List an app's builds",
        description: 'Newest first; `sort` over createdAt, size, fileName.',
        params: AppParams,
        querystring: BuildListQuery,
        response: { 200: Ok(BuildPage, "One page of the app's builds") },
      },
    },
    async (request) =>
      ok(
        await listAppBuilds(
          app.db,
          request.auth,
          request.params.organizationId,
          request.params.applicationId,
          request.query,
        ),
      ),
  )

  app.post(
    base,
    {
      config: {
        permission: Permission.BuildUpload,
        errors: [noSuchApp, ErrorCode.Unavailable],
        form: BuildUploadForm,
      },
      schema: {
        operationId: 'uploadBuild',
        tags,
        summary: 'Upload a build',
        description: `${UPLOAD_DESCRIPTION} Parts: \`file\` (required), \`versionName\` (≤ 128), \`versionCode\` (≤ 64), \`changelog\` (≤ 10000).`,
        consumes: ['multipart/form-data'],
        params: AppParams,
        response: { 200: Ok(BuildSchema, 'The stored build') },
      },
    },
    async (request) =>
      ok(
        await uploadBuild(
          intake,
          request.auth,
          request.params.organizationId,
          request.params.applicationId,
          formParts(request),
          BUILD_FORM,
        ),
      ),
  )

  app.get(
    `${base}/:buildId`,
    {
      config: { permission: Permission.BuildGet, errors: [noSuchBuild] },
      schema: {
        operationId: 'getBuild',
        tags,
        summary: 'Get a build',
        params: BuildParams,
        response: { 200: Ok(BuildSchema, 'The build') },
      },
    },
    async (request) => {
      const { organizationId, applicationId, buildId } = request.params
      return ok(await getBuild(app.db, request.auth, organizationId, applicationId, buildId))
    },
  )

  app.get(
    `${base}/:buildId/download`,
    {
      config: {
        permission: Permission.BuildGet,
        errors: [
          noSuchBuild,
          answers(ErrorCode.RangeNotSatisfiable, 'the Range starts beyond the end of the build'),
          ErrorCode.Unavailable,
        ],
      },
      schema: {
        operationId: 'downloadBuild',
        tags,
        summary: "Download a build's bytes",
        description:
          'Streams the file as an attachment, with `etag` (its SHA-256), one `Range` (206), `If-Range` and `If-None-Match` (304).',
        produces: ['application/octet-stream'],
        params: BuildParams,
        response: {
          200: Bytes('The whole file'),
          206: Bytes('The requested range'),
          304: Type.Null({ description: 'Not modified (If-None-Match)' }),
        },
      },
    },
    async (request, reply) => {
      const { organizationId, applicationId, buildId } = request.params
      const build = await findVisibleBuild(app.db, request.auth, organizationId, applicationId, buildId)
      const download = await openDownload(app.storage, build, {
        method: request.method,
        range: request.headers.range,
        ifRange: one(request.headers['if-range']),
        ifNoneMatch: request.headers['if-none-match'],
      })
      reply.headers(download.headers)
      if (download.status === 416)
        throw new AppError(ErrorCode.RangeNotSatisfiable, { reason: `the build has ${build.size} bytes` })
      return reply.status(download.status).send(download.body)
    },
  )

  app.delete(
    `${base}/:buildId`,
    {
      config: { permission: Permission.BuildRemove, errors: [noSuchBuild] },
      schema: {
        operationId: 'deleteBuild',
        tags,
        summary: 'Delete a build',
        description: 'The row goes at once; the object leaves storage through the purge worker.',
        params: BuildParams,
        response: { 200: Ok(DeleteResult, 'The build is gone; its object leaves storage shortly') },
      },
    },
    async (request) => {
      const { organizationId, applicationId, buildId } = request.params
      const result = await removeBuild(app.db, request.auth, organizationId, applicationId, buildId)
      app.purgeWorker?.kick()
      return ok(result)
    },
  )
}
