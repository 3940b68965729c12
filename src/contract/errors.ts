// The API's error codes, their HTTP status and message (docs/api.md §2). Shared by the server (src/core/errors.ts
// and the error handler render them) and the dashboard (web/ reads them): this folder imports nothing at run time, so a browser
// bundle can take it as it is.

export const ErrorCode = {
  Internal: 1000,
  RouteNotFound: 1002,
  ValidationError: 3000,
  EntityNotFound: 3001,
  PayloadTooLarge: 3002,
  UnsupportedMediaType: 3003,
  RangeNotSatisfiable: 3004,
  IdempotencyKeyReused: 3005,
  NoAuthToken: 4002,
  Forbidden: 4003,
  InvalidToken: 4004,
  TokenExpired: 4005,
  TooManyRequests: 4029,
  Conflict: 5001,
  IdempotencyKeyInProgress: 5002,
  ActiveSubscriptions: 5111,
  LegalHold: 5112,
  Unavailable: 5030,
} as const

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

/**
 * code → HTTP status, message and when it is answered; exhaustive, so a new code cannot be added without all
 * three. `when` is what the error-code table of the docs and the OpenAPI document says (docs/errors.md is
 * generated from this table: `npm run docs:errors`).
 */
export interface ErrorInfo {
  status: number
  message: string
  when: string
}

export const ERRORS: Record<ErrorCode, ErrorInfo> = {
  [ErrorCode.Internal]: {
    status: 500,
    message: 'Internal error',
    when: "anything unexpected; the server log has the details under the response's `x-request-id`",
  },
  [ErrorCode.RouteNotFound]: { status: 404, message: 'Route not found', when: 'unknown path or method' },
  [ErrorCode.ValidationError]: {
    status: 400,
    message: 'Validation Error',
    when: 'path, query or body fails its schema, or the body is not valid JSON; `error.data.errors` lists `{path, message}` per field',
  },
  [ErrorCode.EntityNotFound]: {
    status: 404,
    message: 'Entity not found',
    when: 'id or slug unknown or deleted, or the caller is not a member of the organization',
  },
  [ErrorCode.PayloadTooLarge]: {
    status: 413,
    message: 'Payload Too Large',
    when: 'a body or an upload over its limit; nothing of it is kept',
  },
  [ErrorCode.UnsupportedMediaType]: {
    status: 415,
    message: 'Unsupported Media Type',
    when: 'a body in a content type the route does not read; `error.data.accepts` lists those it does (`application/json`, or `multipart/form-data` for the uploads)',
  },
  [ErrorCode.RangeNotSatisfiable]: {
    status: 416,
    message: 'Range Not Satisfiable',
    when: 'a download whose `Range` starts beyond the end of the build',
  },
  [ErrorCode.IdempotencyKeyReused]: {
    status: 422,
    message: 'Idempotency-Key reused with a different request',
    when: 'the `Idempotency-Key` was used by the same caller for another method, path or body; use a new key for a new request',
  },
  [ErrorCode.NoAuthToken]: {
    status: 401,
    message: 'No auth token',
    when: 'no `Authorization: Bearer …` header',
  },
  [ErrorCode.Forbidden]: {
    status: 403,
    message: 'Forbidden',
    when: "the caller is a member but its role lacks the route's permission, or a token scoped to one organization is used for something beyond it",
  },
  [ErrorCode.InvalidToken]: {
    status: 401,
    message: 'Invalid Token',
    when: 'token unknown, malformed or revoked; a token of the other kind (an app token `osa_…` on an API route, an API token on `/v1/integrations/builds`) gets `error.data.expected` (`api` or `app`) and a `reason`',
  },
  [ErrorCode.TokenExpired]: { status: 401, message: 'Token Expired', when: 'token past its expiry' },
  [ErrorCode.TooManyRequests]: {
    status: 429,
    message: 'Too Many Requests',
    when: "rate limit reached; retry after the `Retry-After` header's seconds",
  },
  [ErrorCode.Conflict]: {
    status: 409,
    message: 'Conflict',
    when: 'slug taken, user already a collaborator, owner cannot be removed, …; `error.data.reason` says which',
  },
  [ErrorCode.IdempotencyKeyInProgress]: {
    status: 409,
    message: 'A request with this Idempotency-Key is still in progress',
    when: 'a repeat of a request whose first attempt with this `Idempotency-Key` has not answered yet; retry later',
  },
  [ErrorCode.ActiveSubscriptions]: {
    status: 400,
    message: 'Can not perform this action because there are active subscriptions',
    when: 'DELETE of an organization while a subscription is `active`, `trialing` or `past_due`',
  },
  [ErrorCode.Unavailable]: {
    status: 503,
    message: 'Service Unavailable',
    when: 'the database cannot be reached; nothing was changed, the request may be retried',
  },
  [ErrorCode.LegalHold]: {
    status: 400,
    message: 'Can not perform this action because the organization is under legal hold',
    when: 'DELETE (or a purge) of an organization on legal hold',
  },
}
