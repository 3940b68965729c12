import { Type, type TSchema } from 'typebox'
import { ERRORS, type ErrorCode } from './errors.js'

// Response schemas shared by every route. Declaring them lets the serializer drop undeclared fields and
// lets the OpenAPI document show every answer a route can give.

export const ErrorEnvelope = Type.Object(
  {
    status: Type.Literal(false),
    error: Type.Object({
      code: Type.Integer(),
      message: Type.String(),
      data: Type.Optional(
        Type.Object(
          {
            errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
            reason: Type.Optional(Type.String()),
          },
          { additionalProperties: true },
        ),
      ),
    }),
  },
  { description: 'Failure envelope' },
)

export function Ok<T extends TSchema>(data: T) {
  return Type.Object({ status: Type.Literal(true), data })
}

export function ok<T>(data: T): { status: true; data: T } {
  return { status: true, data }
}

export function errorBody(code: ErrorCode, data?: Record<string, unknown>) {
  return { status: false as const, error: { code, message: ERRORS[code].message, ...(data ? { data } : {}) } }
}

/** Every error status a /v1 route may answer, each with the envelope schema. */
const ERROR_STATUSES = [400, 401, 403, 404, 409, 413, 415, 429, 500, 503] as const

export function responses<T extends Record<number, TSchema>>(success: T) {
  const errors = Object.fromEntries(ERROR_STATUSES.map((s) => [s, ErrorEnvelope])) as Record<
    (typeof ERROR_STATUSES)[number],
    typeof ErrorEnvelope
  >
  return { ...errors, ...success }
}

/** What every DELETE answers: `{"delete": "OK"}`, as the reference page documents. */
export const DeleteResult = Type.Object({ delete: Type.String() })
