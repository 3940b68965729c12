import { Type } from 'typebox'

export const UserSchema = Type.Object({ id: Type.String(), email: Type.String(), name: Type.String() })
