import { Type } from 'typebox'

export const EMAIL = { format: 'email', maxLength: 254 } as const

export const UserSchema = Type.Object({ id: Type.String(), email: Type.String(), name: Type.String() })
