import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { errorBody } from './envelope.js'
import { AppError, ERRORS, ErrorCode, type FieldError } from '../core/errors.js'
import { pointerSegment } from '../core/text.js'
import { bodyTypesOf } from './input.js'

interface ValidationIssue {
  keyword?: string
  instancePath: string
  message?: string
  params?: Record<string, unknown>
}

/** The field an issue is about: a missing or unknown property is named by the issue, not by its path. */
function issuePath(context: string | undefined, issue: ValidationIssue): string {
  const named = issue.params?.missingProperty ?? issue.params?.additionalProperty
  const field = typeof named === 'string' ? `/${pointerSegment(named)}` : ''
  return `/${context ?? 'request'}${issue.instancePath}${field}`
}

const shown = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value))

/**
 * One message for all the issues about one field. A value that fails a union makes AJV report every branch and
 * then the union itself: for a choice of constants (an enum) the useful message lists the allowed values, for a
 * choice of types it names them, otherwise the first, most specific message is the useful one.
 */
function fieldMessage(issues: ValidationIssue[]): string {
  const branches = issues.filter((issue) => issue.keyword !== 'anyOf' && issue.keyword !== 'oneOf')
  const allowed = branches.flatMap((issue) => {
    if (issue.keyword === 'const') return [issue.params?.allowedValue]
    if (issue.keyword === 'enum' && Array.isArray(issue.params?.allowedValues))
      return issue.params.allowedValues
    if (issue.keyword === 'type' && issue.params?.type === 'null') return [null]
    return []
  })
  if (branches.some((issue) => issue.keyword === 'const' || issue.keyword === 'enum')) {
    return `must be one of: ${[...new Set(allowed)].map(shown).join(', ')}`
  }
  if (branches.length > 1 && branches.every((issue) => issue.keyword === 'type')) {
    return `must be ${branches.map((issue) => shown(issue.params?.type)).join(' or ')}`
  }
  const first = branches[0] ?? issues[0]
  switch (first?.keyword) {
    case 'required':
      return 'is required'
    case 'additionalProperties':
      return 'is not a known field'
    case 'minLength':
      // Names are trimmed before this check, so a name of only spaces fails it too.
      if (first.params?.limit === 1) return 'must not be blank'
  }
  return first?.message ?? 'is invalid'
}

/** One error per field, in the order AJV found them. */
function fieldErrors(context: string | undefined, issues: ValidationIssue[]): FieldError[] {
  const byPath = new Map<string, ValidationIssue[]>()
  for (const issue of issues) {
    const path = issuePath(context, issue)
    byPath.set(path, [...(byPath.get(path) ?? []), issue])
  }
  return [...byPath].map(([path, found]) => ({ path, message: fieldMessage(found) }))
}

// Both dialects' constraint violations, so "already exists" and "parent gone" need no catch in handlers.
const UNIQUE_VIOLATIONS = new Set(['SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_PRIMARYKEY', '23505'])
const FOREIGN_KEY_VIOLATIONS = new Set(['SQLITE_CONSTRAINT_FOREIGNKEY', '23503'])
// The database is down or restarting: the request may be retried, so it is 503, not a bug.
const UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08003',
  '08006',
  'SQLITE_BUSY',
  // Object storage (storage/storage.ts): unreachable, or refusing what was asked.
  'STORAGE_UNAVAILABLE',
])

/** AJV's issues with one part of a request (`body`, `querystring`, …), as the 3000 error every route gives. */
export function validationError(context: string, issues: ValidationIssue[]): AppError {
  return AppError.validation(fieldErrors(context, issues))
}

/** Maps any error to the envelope; the one place where errors become responses. */
function toAppError(error: FastifyError & { code?: string }): AppError {
  if (error instanceof AppError) return error
  if (error.validation) return validationError(error.validationContext ?? 'request', error.validation)
  const code = typeof error.code === 'string' ? error.code : ''
  if (UNIQUE_VIOLATIONS.has(code)) return AppError.conflict('already exists')
  if (FOREIGN_KEY_VIOLATIONS.has(code)) return AppError.notFound()
  // PostgreSQL's class 22, data exceptions: a value the database cannot store or compare is the client's input.
  if (/^22[0-9A-Z]{3}$/.test(code))
    return AppError.validation([{ path: '/request', message: 'contains a value that cannot be stored' }])
  if (
    UNAVAILABLE.has(code) ||
    /Connection terminated|connection timeout|Client has encountered a connection error/i.test(error.message)
  )
    return new AppError(ErrorCode.Unavailable, undefined, error.message)
  switch (code) {
    case 'FST_ERR_BAD_URL':
      return AppError.validation([{ path: '/params', message: 'must be valid URL encoding' }])
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return AppError.validation([{ path: '/params', message: 'is too long' }])
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError(ErrorCode.PayloadTooLarge)
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError(ErrorCode.UnsupportedMediaType)
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return AppError.validation([{ path: '/body', message: 'must be valid JSON' }])
  }
  // Fastify's own client errors (bad JSON syntax, malformed headers) carry a 4xx statusCode.
  if (error instanceof SyntaxError || error.statusCode === 400) {
    return AppError.validation([{ path: '/body', message: 'must be valid JSON' }])
  }
  if (error.statusCode === 404) return new AppError(ErrorCode.RouteNotFound)
  if (error.statusCode === 413) return new AppError(ErrorCode.PayloadTooLarge)
  if (error.statusCode === 415) return new AppError(ErrorCode.UnsupportedMediaType)
  return new AppError(ErrorCode.Internal, undefined, error.message)
}

/**
 * Fastify's `frameworkErrors` option: failures found while routing (a path parameter that is not valid
 * percent-encoding or longer than the router allows) are answered before any hook or error handler runs.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const appError = toAppError(error)
  reply
    .header('x-request-id', request.id)
    .status(ERRORS[appError.code].status)
    .send(errorBody(appError.code, appError.data))
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const appError = toAppError(error)
    if (appError.code === ErrorCode.Internal || appError.code === ErrorCode.Unavailable) {
      request.log.error({ err: error }, 'request failed')
    }
    if (appError.code === ErrorCode.TooManyRequests) {
      const retryAfter = reply.getHeader('retry-after')
      if (retryAfter === undefined) reply.header('retry-after', '1')
    }
    const data =
      appError.code === ErrorCode.UnsupportedMediaType
        ? { accepts: bodyTypesOf(request), ...appError.data }
        : appError.data
    return reply.status(ERRORS[appError.code].status).send(errorBody(appError.code, data))
  })

  app.setNotFoundHandler((_request, reply) => reply.status(404).send(errorBody(ErrorCode.RouteNotFound)))
}
