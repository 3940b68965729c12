import { Type } from 'typebox'
import { Paginated, PageQuery } from '../core/pagination-schemas.js'
import { Name } from '../core/text-schemas.js'
import { OrganizationParams } from '../organizations/schemas.js'

const LiveStatus = Type.Union([Type.Literal('active'), Type.Literal('trialing'), Type.Literal('past_due')])

export const SubscriptionSchema = Type.Object({
  id: Type.String(),
  plan: Type.String(),
  status: Type.String(),
  createdAt: Type.String(),
  canceledAt: Type.Union([Type.String(), Type.Null()]),
})

export const SubscriptionPage = Paginated(SubscriptionSchema)

export const SubscriptionListQuery = Type.Object({
  ...PageQuery,
  status: Type.Optional(Type.Union([...LiveStatus.anyOf, Type.Literal('canceled')])),
})

export const SubscriptionParams = Type.Object({
  ...OrganizationParams.properties,
  subscriptionId: Type.String({ pattern: '^[a-fA-F0-9]{24}$' }),
})

export const CreateSubscriptionBody = Type.Object(
  {
    plan: Name({ maxLength: 64 }),
    status: Type.Optional(
      Type.Union(LiveStatus.anyOf, { description: 'As the billing provider reports it; default active' }),
    ),
  },
  { additionalProperties: false },
)
