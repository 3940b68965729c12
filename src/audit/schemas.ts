import { Type } from 'typebox'
import { Paginated, PageQuery } from '../http/pagination-schemas.js'

export const AuditEventSchema = Type.Object({
  id: Type.String(),
  action: Type.String({ description: 'What happened, e.g. app.create, device.unenroll' }),
  entity: Type.String({ description: 'The kind of thing it happened to, e.g. app, device' }),
  entityId: Type.String(),
  actor: Type.Union([Type.Object({ id: Type.String(), email: Type.String() }), Type.Null()]),
  createdAt: Type.String(),
})

export const AuditPage = Paginated(AuditEventSchema)

const DateTime = Type.String({ format: 'date-time', description: 'RFC 3339 date-time, inclusive bound' })

export const AuditListQuery = Type.Object({
  ...PageQuery,
  action: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  entity: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  entityId: Type.Optional(Type.String({ pattern: '^[a-fA-F0-9]{24}$' })),
  dateIni: Type.Optional(DateTime),
  dateEnd: Type.Optional(DateTime),
})
