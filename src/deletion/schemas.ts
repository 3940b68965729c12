import { Type } from 'typebox'
import { Paginated, PageQuery } from '../core/pagination-schemas.js'

export const DeleteOrganizationResult = Type.Object({
  delete: Type.String(),
  // Optional in the contract ("may carry"), so the reference page's body is a valid example.
  deletionId: Type.Optional(Type.String({ description: 'The receipt: GET /v1/deletions/{deletionId}' })),
  purgeAt: Type.Optional(
    Type.String({
      description:
        'With a grace period (DELETION_GRACE_SECONDS): when the purge starts; until then it can be restored',
    }),
  ),
})

const Counts = Type.Record(Type.String(), Type.Integer())

export const DeletionPreview = Type.Object({
  blockers: Type.Array(
    Type.Object({
      type: Type.String({ description: '`subscription` (id, status) or `legal_hold` (reason)' }),
      id: Type.Optional(Type.String()),
      status: Type.Optional(Type.String()),
      reason: Type.Optional(Type.String()),
    }),
  ),
  counts: Counts,
  graceSeconds: Type.Integer({
    description:
      'How long after a DELETE the organization can be restored (DELETION_GRACE_SECONDS); 0: it is purged at once',
  }),
})

export const DeletionReceipt = Type.Object({
  id: Type.String(),
  organization: Type.Object({ id: Type.String(), slug: Type.String(), name: Type.String() }),
  requestedBy: Type.Object({ id: Type.String(), email: Type.String() }),
  requestedAt: Type.String(),
  status: Type.Union([
    Type.Literal('scheduled'),
    Type.Literal('purging'),
    Type.Literal('completed'),
    Type.Literal('failed'),
    Type.Literal('restored'),
  ]),
  purgeAt: Type.Union([Type.String(), Type.Null()], {
    description: 'When a scheduled deletion starts its purge; it can be restored until then',
  }),
  counts: Counts,
  expected: Type.Union([Counts, Type.Null()], {
    description: 'What the organization held when it was deleted; with `counts`, the purge progress',
  }),
  completedAt: Type.Union([Type.String(), Type.Null()]),
  restoredAt: Type.Union([Type.String(), Type.Null()]),
  waitingFor: Type.Union([Type.String(), Type.Null()], {
    description:
      'Why a deletion that is not done is not progressing: a legal hold, a pause by an operator, or (for a bounded time) its webhook endpoints being sent organization.deleted',
  }),
  error: Type.Union([Type.String(), Type.Null()], {
    description: 'Why the last purge attempt failed; it is retried',
  }),
  replayed: Type.Boolean({
    description: 'Deleted again after a restore from backup brought the organization back (docs/api.md §12)',
  }),
  replayOf: Type.Union([Type.String(), Type.Null()], {
    description: 'When replayed: the deletion named by the ledger’s tombstone',
  }),
})

export const DeletionPage = Paginated(DeletionReceipt)
export const DeletionParams = Type.Object({ deletionId: Type.String({ pattern: '^[a-fA-F0-9]{24}$' }) })
export const DeletionListQuery = Type.Object(PageQuery)

const Verification = Type.Object({
  checkedAt: Type.String(),
  tables: Counts,
  storage: Type.Object({ prefix: Type.String(), objects: Type.Integer() }),
})

const CertificateClaims = Type.Object({
  iss: Type.String(),
  sub: Type.String({ description: 'The organization id' }),
  jti: Type.String({ description: 'The deletion id' }),
  iat: Type.Integer(),
  organization: Type.Object({ id: Type.String(), slug: Type.String() }),
  requestedBy: Type.String({ description: 'The user id of who asked (never a name or an email)' }),
  requestedAt: Type.String(),
  purgeStartedAt: Type.Union([Type.String(), Type.Null()]),
  completedAt: Type.String(),
  graceSeconds: Type.Integer(),
  removed: Counts,
  verification: Verification,
  erasure: Type.Object({ database: Type.String(), storage: Type.String() }),
  ledger: Type.String({ description: 'Where the deletion’s tombstone is kept' }),
  software: Type.Object({ name: Type.String(), version: Type.String() }),
  replayOf: Type.Optional(
    Type.String({ description: 'A deletion replayed after a restore: the deletion its tombstone named' }),
  ),
})

export const DeletionCertificate = Type.Object({
  certificate: Type.String({ description: 'A compact JWS (EdDSA); verify it with /.well-known/jwks.json' }),
  claims: CertificateClaims,
})
