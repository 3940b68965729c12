import { Type } from 'typebox'
import { OrganizationParams } from '../organizations/schemas.js'

export const ExportSchema = Type.Object({
  id: Type.String(),
  status: Type.Union([Type.Literal('running'), Type.Literal('completed'), Type.Literal('failed')]),
  progress: Type.Integer({ minimum: 0, maximum: 100, description: 'Percent done' }),
  size: Type.Union([Type.Integer(), Type.Null()], { description: 'Bytes of the archive, once completed' }),
  sha256: Type.Union([Type.String(), Type.Null()], {
    description: 'SHA-256 of the archive, hex, once completed; also the download ETag',
  }),
  createdAt: Type.String(),
  completedAt: Type.Union([Type.String(), Type.Null()]),
  expiresAt: Type.Union([Type.String(), Type.Null()], {
    description: 'After this the archive is gone and the export answers 3001 (EXPORT_TTL_SECONDS)',
  }),
})

export const ExportParams = Type.Object({
  ...OrganizationParams.properties,
  exportId: Type.String({ pattern: '^[a-fA-F0-9]{24}$', description: 'Export unique identifier' }),
})
