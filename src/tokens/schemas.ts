import { Type } from 'typebox'
import { Paginated, PageQuery } from '../core/pagination-schemas.js'
import { Name } from '../core/text-schemas.js'
import { ORGANIZATION_REF_PATTERN, SLUG_MAX_LENGTH } from '../contract/identifiers.js'

const TokenFields = {
  id: Type.String(),
  name: Type.String(),
  organizationId: Type.Union([Type.String(), Type.Null()], {
    description: 'Set when the token works only inside this organization',
  }),
  createdAt: Type.String(),
  expiresAt: Type.Union([Type.String(), Type.Null()]),
}

export const TokenSchema = Type.Object(TokenFields)
export const NewTokenSchema = Type.Object({
  ...TokenFields,
  token: Type.String({ description: 'Shown only once' }),
})
export const TokenPage = Paginated(TokenSchema)

export const CreateTokenBody = Type.Object(
  {
    name: Name({ maxLength: 128 }),
    expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
    organizationId: Type.Optional(
      Type.String({ pattern: ORGANIZATION_REF_PATTERN, maxLength: SLUG_MAX_LENGTH }),
    ),
  },
  { additionalProperties: false },
)

export const TokenParams = Type.Object({ tokenId: Type.String({ pattern: '^[a-fA-F0-9]{24}$' }) })
export const TokenListQuery = Type.Object(PageQuery)
