import { Type, type TSchema } from 'typebox'
import { ERRORS, ErrorCode, type FieldError } from '../core/errors.js'
import type { Permission } from '../core/permissions.js'

// Response schemas shared by every route. Declaring them lets the serializer drop undeclared fields and
// lets the OpenAPI document show every answer a route can give.

const CODES = (Object.keys(ERRORS).map(Number) as ErrorCode[]).sort((a, b) => a - b)

/** The failure envelope: one named schema (`#/components/schemas/ErrorEnvelope`) that every error answer uses. */
export const ErrorEnvelope = Type.Object(
  {
    status: Type.Literal(false),
    error: Type.Object({
      code: Type.Integer({ enum: CODES, description: 'What went wrong; see the error-code table' }),
      message: Type.String({ description: "The code's fixed message" }),
      data: Type.Optional(
        Type.Object(
          {
            errors: Type.Optional(
              Type.Array(Type.Object({ path: Type.String(), message: Type.String() }), {
                description: '3000: one entry per field that failed',
              }),
            ),
            reason: Type.Optional(
              Type.String({ description: '5001: which conflict; 4004: which token the route needs' }),
            ),
            accepts: Type.Optional(
              Type.Array(Type.String(), { description: '3003: the content types the route reads' }),
            ),
          },
          { additionalProperties: true },
        ),
      ),
    }),
  },
  { $id: 'ErrorEnvelope', description: 'Failure envelope' },
)

const ErrorEnvelopeRef = { $ref: 'ErrorEnvelope#' }

/**
 * The success envelope around `data`. `description` says what a 2xx answer is (the OpenAPI document shows it
 * for the response); `example`, when given, is the example body's `data`.
 */
export function Ok<T extends TSchema>(data: T, description: string, example?: unknown) {
  return Type.Object(
    { status: Type.Literal(true), data },
    { description, ...(example === undefined ? {} : { examples: [{ status: true, data: example }] }) },
  )
}

export function ok<T>(data: T): { status: true; data: T } {
  return { status: true, data }
}

export function errorBody(code: ErrorCode, data?: Record<string, unknown>) {
  return { status: false as const, error: { code, message: ERRORS[code].message, ...(data ? { data } : {}) } }
}

/** What every DELETE answers: `{"delete": "OK"}`, as the reference page documents. */
export const DeleteResult = Type.Object({ delete: Type.String() })

/**
 * An error a route declares beyond what its shape implies: a code, or a code with when it happens on this route
 * and the `error.data` of its example (5001's `reason`).
 */
export type DeclaredError = ErrorCode | { code: ErrorCode; when?: string; data?: Record<string, unknown> }

/** A 5001 this route answers, with the `error.data.reason` it carries. */
export function conflict(reason: string): DeclaredError {
  return { code: ErrorCode.Conflict, when: reason, data: { reason } }
}

/** A code this route answers, and when it does on this route. */
export function answers(code: ErrorCode, when: string): DeclaredError {
  return { code, when }
}

/** What a route is, as far as its possible errors go; src/http/openapi.ts reads it off each route. */
export interface RouteShape {
  /** Behind a security requirement: 4002/4004/4005. */
  authenticated: boolean
  /** Has path, query or body input: 3000, with this field error as the example. */
  validated?: FieldError
  /** Its method carries a body, which may be too large or of a type no parser reads: 3002/3003. */
  readsBody: boolean
  /** The body types it reads, which its 3003 names (JSON unless the route says otherwise). */
  consumes?: readonly string[]
  /** Names an organization in its path: 3001 for strangers and deleted organizations. */
  organization: boolean
  /** The permission it checks: 4003 for members whose role lacks it. */
  permission?: Permission
  /** The business errors of the route (5001, 5111, …), as its service answers them. */
  errors?: readonly DeclaredError[]
}

interface Answer {
  code: ErrorCode
  when: string
  data?: Record<string, unknown>
}

/** The answers a route of this shape can give, in the contract's check order. */
function answersOf(shape: RouteShape): Answer[] {
  const answers: Answer[] = []
  const add = (code: ErrorCode, when = ERRORS[code].when, data?: Record<string, unknown>) =>
    answers.push({ code, when, ...(data ? { data } : {}) })
  if (shape.authenticated)
    [ErrorCode.NoAuthToken, ErrorCode.InvalidToken, ErrorCode.TokenExpired].forEach((c) => add(c))
  if (shape.validated) add(ErrorCode.ValidationError, undefined, { errors: [shape.validated] })
  if (shape.readsBody) {
    const accepts = [...(shape.consumes ?? ['application/json'])]
    add(ErrorCode.PayloadTooLarge)
    add(ErrorCode.UnsupportedMediaType, `a body that is not ${accepts.join(' or ')}`, { accepts })
  }
  if (shape.organization)
    add(ErrorCode.EntityNotFound, 'the organization is unknown or deleted, or the caller is not a member')
  if (shape.permission) add(ErrorCode.Forbidden, `the caller's role lacks \`${shape.permission}\``)
  for (const declared of shape.errors ?? []) {
    if (typeof declared === 'number') add(declared)
    else add(declared.code, declared.when, declared.data)
  }
  ;[ErrorCode.TooManyRequests, ErrorCode.Internal, ErrorCode.Unavailable].forEach((c) => add(c))
  return answers
}

/**
 * The OpenAPI response for one HTTP status: which codes, when, and an example body for each. The route's own
 * codes come first (a reader looks for them; tools show the first example), then the general ones.
 */
function errorResponse(answers: Answer[], declared: ReadonlySet<ErrorCode>) {
  const inOrder = [...new Set(answers.map((a) => a.code))]
  const codes = [...inOrder.filter((c) => declared.has(c)), ...inOrder.filter((c) => !declared.has(c))]
  const lines = codes.map((code) => {
    const whens = [...new Set(answers.filter((a) => a.code === code).map((a) => a.when))]
    return `- \`${code}\` ${ERRORS[code].message}: ${whens.join('; ')}`
  })
  const examples: Record<string, { summary: string; value: ReturnType<typeof errorBody> }> = {}
  for (const code of codes) {
    const bodies = [
      ...new Map(
        answers
          .filter((a) => a.code === code)
          .map((a) => errorBody(a.code, a.data))
          .map((body) => [JSON.stringify(body), body]),
      ).values(),
    ]
    for (const body of bodies) {
      const reason = typeof body.error.data?.reason === 'string' ? `: ${body.error.data.reason}` : ''
      // Named by their summary, not their bare code: integer-like keys would lose the order above.
      const summary = `${code} ${ERRORS[code].message}${reason}`
      examples[summary] = { summary, value: body }
    }
  }
  const status = ERRORS[codes[0] ?? ErrorCode.Internal].status
  return {
    description: lines.join('\n'),
    ...(status === 429
      ? { headers: { 'retry-after': { type: 'integer', description: 'Seconds to wait before retrying' } } }
      : {}),
    content: { 'application/json': { schema: ErrorEnvelopeRef, examples } },
  }
}

/**
 * Every error answer of a route of this shape, by HTTP status, each listing its codes with an example body.
 * The general part (authentication, validation, lookup, limits, failures) follows from the shape; a route adds
 * only its permission and business errors (see openapi.ts for where they are declared).
 */
export function responses(shape: RouteShape): Record<number, ReturnType<typeof errorResponse>> {
  const declared = new Set((shape.errors ?? []).map((e) => (typeof e === 'number' ? e : e.code)))
  const byStatus = new Map<number, Answer[]>()
  for (const answer of answersOf(shape)) {
    const status = ERRORS[answer.code].status
    byStatus.set(status, [...(byStatus.get(status) ?? []), answer])
  }
  return Object.fromEntries(
    [...byStatus].map(([status, answers]) => [status, errorResponse(answers, declared)]),
  )
}
