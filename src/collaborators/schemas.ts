import { Type } from 'typebox'
import { Paginated, PageQuery } from '../core/pagination-schemas.js'
import { Name } from '../core/text-schemas.js'
import { OrganizationParams } from '../organizations/schemas.js'

const AssignableRole = Type.Union([Type.Literal('admin'), Type.Literal('editor'), Type.Literal('viewer')], {
  description: 'The owner is changed only through change-owner',
})

export const CollaboratorSchema = Type.Object({
  id: Type.String(),
  role: Type.String(),
  user: Type.Object({ id: Type.String(), email: Type.String(), name: Type.String() }),
  createdAt: Type.String(),
})

export const ListedCollaboratorSchema = Type.Object({
  ...CollaboratorSchema.properties,
  appTokens: Type.Integer({
    description:
      'Unexpired app tokens they created here: these stop working if they are removed or made a viewer',
  }),
})
export const CollaboratorPage = Paginated(ListedCollaboratorSchema)

export const CollaboratorListQuery = Type.Object({
  ...PageQuery,
  role: Type.Optional(Type.Union([Type.Literal('owner'), AssignableRole])),
  email: Type.Optional(Type.String({ maxLength: 254 })),
})

export const CollaboratorParams = Type.Object({
  ...OrganizationParams.properties,
  collaboratorId: Type.String({ pattern: '^[a-fA-F0-9]{24}$' }),
})

export const AddCollaboratorBody = Type.Object(
  {
    email: Type.String({ format: 'email', maxLength: 254 }),
    role: AssignableRole,
    name: Type.Optional(Name({ maxLength: 128, minLength: 0, description: 'For a user new to orgspace' })),
  },
  { additionalProperties: false },
)

export const UpdateCollaboratorBody = Type.Object({ role: AssignableRole }, { additionalProperties: false })
