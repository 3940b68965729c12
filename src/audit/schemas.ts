import { Type } from 'typebox'
import { AUDIT_ACTION_PREFIXES, AUDIT_ACTIONS } from '../contract/audit.js'
import { Paginated, PageQuery } from '../core/pagination-schemas.js'

const AuditValue = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()])

/** src/contract/audit.ts says which action fills which field. */
const AuditDetailsSchema = Type.Object(
  {
    name: Type.Optional(Type.String()),
    slug: Type.Optional(Type.String()),
    email: Type.Optional(Type.String()),
    role: Type.Optional(Type.String()),
    serialNumber: Type.Optional(Type.String()),
    platform: Type.Optional(Type.String()),
    plan: Type.Optional(Type.String()),
    status: Type.Optional(Type.String()),
    url: Type.Optional(Type.String()),
    fileName: Type.Optional(Type.String()),
    version: Type.Optional(Type.String()),
    app: Type.Optional(Type.String({ description: 'The name of the app a build or app token belongs to' })),
    archivedAt: Type.Optional(Type.String({ description: 'An import: when its archive was written' })),
    rows: Type.Optional(Type.Integer({ description: 'An import: the records its archive held' })),
    builds: Type.Optional(Type.Integer({ description: 'Builds a retention run removed' })),
    events: Type.Optional(Type.Integer({ description: 'History events a retention run removed' })),
    buildsDays: Type.Optional(
      Type.Integer({ description: 'The age in days beyond which it removed builds' }),
    ),
    auditDays: Type.Optional(Type.Integer({ description: 'The age in days beyond which it removed events' })),
    changes: Type.Optional(
      Type.Record(Type.String(), Type.Object({ from: AuditValue, to: AuditValue }), {
        description: 'For a change: each field that changed, before and after',
      }),
    ),
  },
  { description: 'The entity as it was at the time (its name, serial, email…) and what changed' },
)

export const AuditEventSchema = Type.Object({
  id: Type.String(),
  action: Type.String({ description: 'What happened, e.g. app.create, device.unenroll' }),
  entity: Type.String({ description: 'The kind of thing it happened to, e.g. app, device' }),
  entityId: Type.String(),
  actor: Type.Union([
    Type.Object({ id: Type.String(), email: Type.String(), name: Type.String() }),
    Type.Null(),
  ]),
  details: Type.Union([AuditDetailsSchema, Type.Null()], {
    description: 'Null for events recorded before details were kept',
  }),
  createdAt: Type.String(),
})

export const AuditPage = Paginated(AuditEventSchema)

const DateTime = Type.String({ format: 'date-time', description: 'RFC 3339 date-time, inclusive bound' })

export const AuditListQuery = Type.Object({
  ...PageQuery,
  action: Type.Optional(
    Type.Union(
      [...AUDIT_ACTIONS, ...AUDIT_ACTION_PREFIXES].map((action) => Type.Literal(action)),
      {
        description:
          'One action (`device.enroll`), or a prefix ending in a dot (`device.`) for all of its kind',
      },
    ),
  ),
  entity: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  entityId: Type.Optional(Type.String({ pattern: '^[a-fA-F0-9]{24}$' })),
  dateIni: Type.Optional(DateTime),
  dateEnd: Type.Optional(DateTime),
})
