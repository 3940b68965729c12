import { Type } from 'typebox'
import { AppParams } from '../apps/schemas.js'
import { Paginated, PageQuery } from '../core/pagination-schemas.js'
import { Name } from '../core/text-schemas.js'

const AppTokenFields = {
  id: Type.String(),
  name: Type.String(),
  createdAt: Type.String(),
  expiresAt: Type.Union([Type.String(), Type.Null()]),
}

export const AppTokenSchema = Type.Object({
  ...AppTokenFields,
  createdBy: Type.Object(
    { id: Type.String(), email: Type.String() },
    { description: 'The member it acts for; it stops working when they leave or drop below editor' },
  ),
  lastUsedAt: Type.Union([Type.String(), Type.Null()], { description: 'To the minute; null if never used' }),
})
export const NewAppTokenSchema = Type.Object({
  ...AppTokenSchema.properties,
  token: Type.String({ description: 'Shown only once; send it as `Authorization: bearer <token>`' }),
})
export const AppTokenPage = Paginated(AppTokenSchema)

export const CreateAppTokenBody = Type.Object(
  {
    name: Name({ maxLength: 128 }),
    expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
  },
  { additionalProperties: false },
)

export const AppTokenParams = Type.Object({
  ...AppParams.properties,
  tokenId: Type.String({ pattern: '^[a-fA-F0-9]{24}$' }),
})
export const AppTokenListQuery = Type.Object({
  page: PageQuery.page,
  limit: PageQuery.limit,
})
