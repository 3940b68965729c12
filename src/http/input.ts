import { isUtf8 } from 'node:buffer'
import type { FastifyRequest } from 'fastify'
import { AppError, ErrorCode, type FieldError } from '../core/errors.js'
import { pointerSegment, textFault } from '../core/text.js'

/**
 * A JSON body's bytes that are not valid UTF-8 (decoded leniently, they would be kept as U+FFFD): 3000 naming the
 * first field whose text holds a replacement character, or the body when the damage is outside any string.
 */
export function invalidUtf8(bytes: Buffer, parsed: unknown): AppError | null {
  if (isUtf8(bytes)) return null
  const fault = textFault(parsed, (text) => (text.includes('\ufffd') ? 'is not valid UTF-8' : null))
  const path = fault && fault.path !== '/' ? `/body${fault.path}` : '/body'
  return AppError.validation([{ path, message: 'is not valid UTF-8' }])
}

const JSON_CONTENT = /^application\/json\s*(;|$)/i

/**
 * A JSON body sent to a route that takes none: every field of it is unknown. An empty object is no body
 * (some clients always send one); a non-JSON body (an upload) belongs to routes that parse it themselves.
 */
function unexpectedBody(request: FastifyRequest): FieldError[] {
  const { body } = request
  if (body === undefined || request.routeOptions.schema?.body !== undefined) return []
  if (!JSON_CONTENT.test(request.headers['content-type'] ?? '')) return []
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    return Object.keys(body).map((key) => ({
      path: `/body/${pointerSegment(key)}`,
      message: 'is not a known field',
    }))
  }
  return [{ path: '/body', message: 'must be empty: this route takes no body' }]
}

const declaredBodyTypes = (request: FastifyRequest) =>
  (request.routeOptions.schema as { consumes?: string[] } | undefined)?.consumes

/** The body types a route reads, as its 415 names them: those its schema names, else JSON. */
export function bodyTypesOf(request: FastifyRequest): string[] {
  return declaredBodyTypes(request) ?? ['application/json']
}

/**
 * A route that names the body types it reads (`schema.consumes`, as uploads do) answers 415 / 3003 to any other,
 * rather than treating a JSON body's fields as unknown.
 */
function unreadableType(request: FastifyRequest): boolean {
  const consumes = declaredBodyTypes(request)
  if (consumes === undefined || request.body === undefined) return false
  const type = (request.headers['content-type'] ?? '').split(';', 1).join('').trim().toLowerCase()
  return !consumes.includes(type)
}

/**
 * Input no schema can refuse: a body on a route without one, and text that could not be kept as sent (textProblem:
 * refused everywhere, so both databases answer the same 3000). Runs after authentication and before schema
 * validation.
 */
export async function refuseUnusableInput(request: FastifyRequest): Promise<void> {
  // An unknown route answers 1002 whatever it was sent.
  if (request.is404) return
  if (unreadableType(request)) throw new AppError(ErrorCode.UnsupportedMediaType)
  const unexpected = unexpectedBody(request)
  if (unexpected.length > 0) throw AppError.validation(unexpected)
  const fault = textFault({ params: request.params, querystring: request.query, body: request.body })
  if (fault) throw AppError.validation([fault])
}
