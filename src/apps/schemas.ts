import { Type } from 'typebox'
import { Paginated, PageQuery } from '../core/pagination-schemas.js'
import { Name } from '../core/text-schemas.js'
import { ORGANIZATION_REF_PATTERN, SLUG_MAX_LENGTH } from '../contract/identifiers.js'
import { OrganizationParams } from '../organizations/schemas.js'

export const AppSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  slug: Type.String(),
  description: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
})

export const AppPage = Paginated(AppSchema)

export const AppListQuery = Type.Object({
  ...PageQuery,
  name: Type.Optional(Type.String({ maxLength: 128, description: 'Apps whose name contains this text' })),
})

export const AppParams = Type.Object({
  ...OrganizationParams.properties,
  applicationId: Type.String({
    pattern: ORGANIZATION_REF_PATTERN,
    maxLength: SLUG_MAX_LENGTH,
    description: 'Application unique identifier or URL-friendly slug',
  }),
})

const AppName = Name({ maxLength: 128 })
// The form of a slug (pattern, not an id, not reserved) is checked by the service, as for organizations.
const Slug = Type.String({
  maxLength: SLUG_MAX_LENGTH,
  description: '3–128 letters, digits and inner hyphens; unique within the organization',
})
const Description = Type.String({ maxLength: 2000 })

export const CreateAppBody = Type.Object(
  { name: AppName, slug: Type.Optional(Slug), description: Type.Optional(Description) },
  { additionalProperties: false },
)

export const UpdateAppBody = Type.Object(
  { name: Type.Optional(AppName), slug: Type.Optional(Slug), description: Type.Optional(Description) },
  { additionalProperties: false },
)
