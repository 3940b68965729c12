import type { FastifyRequest } from 'fastify'
import { AppError, ErrorCode, type FieldError } from '../core/errors.js'

/** A key as one segment of a JSON pointer (RFC 6901), as AJV writes the paths of its errors. */
export function pointerSegment(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1')
}

/**
 * The JSON-pointer path of the first string (or key) holding a NUL character, or null when none does.
 * Iterative: a body is client input, and nesting it a few thousand levels deep must not overflow the stack.
 */
function nulPath(value: unknown): string | null {
  const pending: [unknown, string][] = [[value, '']]
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [item, path] = next
    if (typeof item === 'string') {
      if (item.includes('\u0000')) return path || '/'
      continue
    }
    if (item === null || typeof item !== 'object') continue
    // Reversed, so the first key is looked at first and the path reported is the first in document order.
    for (const [key, child] of Object.entries(item).reverse()) {
      const at = `${path}/${pointerSegment(key)}`
      if (key.includes('\u0000')) return at
      pending.push([child, at])
    }
  }
  return null
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
 * Input no schema can refuse: a body on a route without one, and NUL characters (storable in SQLite but not in
 * PostgreSQL text, so refused everywhere for both databases to answer the same 3000). Runs after
 * authentication and before schema validation.
 */
export async function refuseUnusableInput(request: FastifyRequest): Promise<void> {
  // An unknown route answers 1002 whatever it was sent.
  if (request.is404) return
  if (unreadableType(request)) throw new AppError(ErrorCode.UnsupportedMediaType)
  const unexpected = unexpectedBody(request)
  if (unexpected.length > 0) throw AppError.validation(unexpected)
  const path = nulPath({ params: request.params, querystring: request.query, body: request.body })
  if (path) throw AppError.validation([{ path, message: 'must not contain NUL characters' }])
}
