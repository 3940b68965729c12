import type { Readable } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { answers, conflict, ok, Ok } from '../http/envelope.js'
import { AppError, ErrorCode } from '../core/errors.js'
import { Permission } from '../core/permissions.js'
import { OrganizationParams } from '../organizations/schemas.js'
import { ExportParams, ExportSchema } from './schemas.js'
import { exportView, findVisibleExport, requestExport } from './service.js'

const tags = ['Exports']
const base = '/organizations/:organizationId/exports'
const noSuchExport = answers(ErrorCode.EntityNotFound, 'no such export, or it has expired')

export const exportRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    base,
    {
      config: { permission: Permission.OrganizationExport, errors: [] },
      schema: {
        operationId: 'createExport',
        tags,
        summary: 'Export the organization',
        description:
          'Starts writing a `.tar.gz` of the whole workspace (docs/export-format.md) in the background; poll the export for its progress and download it once `completed`. It expires after EXPORT_TTL_SECONDS.',
        params: OrganizationParams,
        response: { 200: Ok(ExportSchema, 'The export, running') },
      },
    },
    async (request) => {
      const row = await requestExport(app.db, request.auth, request.params.organizationId)
      app.exportWorker.kick()
      return ok(exportView(row))
    },
  )

  app.get(
    `${base}/:exportId`,
    {
      config: { permission: Permission.OrganizationExport, errors: [noSuchExport] },
      schema: {
        operationId: 'getExport',
        tags,
        summary: 'Get an export and its progress',
        params: ExportParams,
        response: { 200: Ok(ExportSchema, 'The export') },
      },
    },
    async (request) => {
      const { organizationId, exportId } = request.params
      return ok(exportView((await findVisibleExport(app.db, request.auth, organizationId, exportId)).row))
    },
  )

  app.get(
    `${base}/:exportId/download`,
    {
      config: {
        permission: Permission.OrganizationExport,
        errors: [noSuchExport, conflict('the export has not completed'), ErrorCode.Unavailable],
      },
      schema: {
        operationId: 'downloadExport',
        tags,
        summary: "Download an export's archive",
        description: 'The `.tar.gz` as an attachment, with `etag` (its SHA-256).',
        produces: ['application/gzip'],
        params: ExportParams,
        response: {
          200: Type.Unsafe<Readable>({ type: 'string', format: 'binary', description: 'The archive' }),
        },
      },
    },
    async (request, reply) => {
      const { organizationId, exportId } = request.params
      const { org, row } = await findVisibleExport(app.db, request.auth, organizationId, exportId)
      if (exportView(row).status !== 'completed' || row.size === null)
        throw AppError.conflict('the export has not completed')
      const body = await app.storage.get(row.object_key)
      if (!body)
        throw new AppError(ErrorCode.Internal, undefined, `the archive of export ${row.id} is missing`)
      return reply
        .headers({
          'content-type': 'application/gzip',
          'content-length': String(row.size),
          'content-disposition': `attachment; filename="${org.slug ?? org.id}-${row.id}.tar.gz"`,
          etag: `"${row.sha256 ?? ''}"`,
          'cache-control': 'private, no-cache',
        })
        .send(body)
    },
  )
}
