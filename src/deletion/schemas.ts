import { Type } from 'typebox'
import { Paginated, PageQuery } from '../http/pagination-schemas.js'

export const DeleteOrganizationResult = Type.Object({
  delete: Type.String(),
  deletionId: Type.String({ description: 'The receipt: GET /v1/deletions/{deletionId}' }),
})

const Counts = Type.Record(Type.String(), Type.Integer())

export const DeletionPreview = Type.Object({
  blockers: Type.Array(Type.Object({ type: Type.String(), id: Type.String(), status: Type.String() })),
  counts: Counts,
})

export const DeletionReceipt = Type.Object({
  id: Type.String(),
  organization: Type.Object({ id: Type.String(), slug: Type.String(), name: Type.String() }),
  requestedBy: Type.Object({ id: Type.String(), email: Type.String() }),
  requestedAt: Type.String(),
  status: Type.Union([Type.Literal('purging'), Type.Literal('completed'), Type.Literal('failed')]),
  counts: Counts,
  completedAt: Type.Union([Type.String(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()], {
    description: 'Why the last purge attempt failed; it is retried',
  }),
  waitingFor: Type.Union(
    [
      Type.Object({
        reason: Type.String(),
        until: Type.String({ description: 'The wait ends by then at the latest' }),
      }),
      Type.Null(),
    ],
    { description: 'What the purge waits for before it goes on, if anything' },
  ),
})

export const DeletionPage = Paginated(DeletionReceipt)
export const DeletionParams = Type.Object({ deletionId: Type.String({ pattern: '^[a-fA-F0-9]{24}$' }) })
export const DeletionListQuery = Type.Object(PageQuery)
