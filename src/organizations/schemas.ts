import { Type } from 'typebox'
import { Paginated, PageQuery } from '../core/pagination-schemas.js'
import { Name } from '../core/text-schemas.js'
import {
  ORGANIZATION_REF_PATTERN,
  PATH_PARAMETER_MAX_LENGTH,
  SLUG_MAX_LENGTH,
} from '../contract/identifiers.js'

// organizationId / applicationId: an id or a slug, as the reference page documents.

export const OrganizationParams = Type.Object({
  organizationId: Type.String({
    pattern: ORGANIZATION_REF_PATTERN,
    maxLength: SLUG_MAX_LENGTH,
    description: 'Organization unique identifier or URL-friendly slug',
  }),
})

const WebSiteUrl = Type.String({ maxLength: 2048, pattern: '^https?://[^\\s]+$' })
const OrganizationName = Name({ maxLength: 128 })
// The form of a slug (pattern, not an id, not reserved) is checked by the service, with a message saying which.
const Slug = Type.String({ maxLength: SLUG_MAX_LENGTH })

/** Days, or builds per app: at most a century, which is as long as anyone keeps anything. */
const RetentionValue = (description: string) =>
  Type.Union([Type.Integer({ minimum: 0, maximum: 36_500 }), Type.Null()], { description })

const RETENTION_FIELDS = {
  auditDays: RetentionValue('History events older than this many days are removed; null keeps them forever'),
  buildsDays: RetentionValue(
    'Builds older than this many days are removed (beyond the newest `buildsKeepLatest` of their app); null keeps them forever',
  ),
  buildsKeepLatest: RetentionValue(
    'The newest builds of each app that are kept whatever their age; null keeps none back',
  ),
}

const RetentionSchema = Type.Object(RETENTION_FIELDS, {
  description: 'What the background retention removes (docs/api.md §15); every field null by default',
})

const RetentionInput = Type.Object(
  {
    auditDays: Type.Optional(RETENTION_FIELDS.auditDays),
    buildsDays: Type.Optional(RETENTION_FIELDS.buildsDays),
    buildsKeepLatest: Type.Optional(RETENTION_FIELDS.buildsKeepLatest),
  },
  { additionalProperties: false, description: 'The fields to change; those left out stay as they are' },
)

export const OrganizationSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  slug: Type.String(),
  webSiteUrl: Type.Union([Type.String(), Type.Null()]),
  owner: Type.Object({ id: Type.String(), email: Type.String() }),
  role: Type.String(),
  subscriptions: Type.Array(Type.Object({ id: Type.String(), plan: Type.String(), status: Type.String() })),
  counts: Type.Object({ apps: Type.Integer(), devices: Type.Integer(), collaborators: Type.Integer() }),
  retention: RetentionSchema,
  createdAt: Type.String(),
  updatedAt: Type.String(),
})

export const OrganizationPage = Paginated(OrganizationSchema)

export const ListOrganizationsQuery = Type.Object({
  ...PageQuery,
  name: Type.Optional(Type.String({ maxLength: 128 })),
  slug: Type.Optional(Type.String({ maxLength: 128 })),
})

export const CreateOrganizationBody = Type.Object(
  {
    name: OrganizationName,
    slug: Type.Optional(Slug),
    webSiteUrl: Type.Optional(Type.Union([WebSiteUrl, Type.Null()])),
  },
  { additionalProperties: false },
)

export const UpdateOrganizationBody = Type.Object(
  {
    name: Type.Optional(OrganizationName),
    slug: Type.Optional(Slug),
    webSiteUrl: Type.Optional(Type.Union([WebSiteUrl, Type.Null()])),
    retention: Type.Optional(RetentionInput),
  },
  { additionalProperties: false },
)

// Any length the router passes: check-slug says why a slug is unusable, a too-long one included.
export const CheckSlugParams = Type.Object({ slug: Type.String({ maxLength: PATH_PARAMETER_MAX_LENGTH }) })
export const CheckSlugResult = Type.Object({ valid: Type.Boolean(), reason: Type.String() })

export const ActionsResult = Type.Object({ items: Type.Array(Type.String()) })

export const ChangeOwnerBody = Type.Object(
  {
    newOwner: Name({ maxLength: 254, description: 'User id or email of a collaborator' }),
  },
  { additionalProperties: false },
)
export const ChangeOwnerResult = Type.Object({ changed: Type.Boolean() })
