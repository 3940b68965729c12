// The one error type of orgspace. Every failure a client can see is an AppError with a code from this table,
// rendered by the one error handler (error-handler.ts) into the envelope.

export const ErrorCode = {
  Internal: 1000,
  RouteNotFound: 1002,
  ValidationError: 3000,
  EntityNotFound: 3001,
  PayloadTooLarge: 3002,
  UnsupportedMediaType: 3003,
  RangeNotSatisfiable: 3004,
  NoAuthToken: 4002,
  Forbidden: 4003,
  InvalidToken: 4004,
  TokenExpired: 4005,
  TooManyRequests: 4029,
  Conflict: 5001,
  ActiveSubscriptions: 5111,
  Unavailable: 5030,
} as const

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

/** code → HTTP status and message; exhaustive, so a new code cannot be added without both. */
export const ERRORS: Record<ErrorCode, { status: number; message: string }> = {
  [ErrorCode.Internal]: { status: 500, message: 'Internal error' },
  [ErrorCode.RouteNotFound]: { status: 404, message: 'Route not found' },
  [ErrorCode.ValidationError]: { status: 400, message: 'Validation Error' },
  [ErrorCode.EntityNotFound]: { status: 404, message: 'Entity not found' },
  [ErrorCode.PayloadTooLarge]: { status: 413, message: 'Payload Too Large' },
  [ErrorCode.UnsupportedMediaType]: { status: 415, message: 'Unsupported Media Type' },
  [ErrorCode.RangeNotSatisfiable]: { status: 416, message: 'Range Not Satisfiable' },
  [ErrorCode.NoAuthToken]: { status: 401, message: 'No auth token' },
  [ErrorCode.Forbidden]: { status: 403, message: 'Forbidden' },
  [ErrorCode.InvalidToken]: { status: 401, message: 'Invalid Token' },
  [ErrorCode.TokenExpired]: { status: 401, message: 'Token Expired' },
  [ErrorCode.TooManyRequests]: { status: 429, message: 'Too Many Requests' },
  [ErrorCode.Conflict]: { status: 409, message: 'Conflict' },
  [ErrorCode.ActiveSubscriptions]: {
    status: 400,
    message: 'Can not perform this action because there are active subscriptions',
  },
  [ErrorCode.Unavailable]: { status: 503, message: 'Service Unavailable' },
}

export interface FieldError {
  path: string
  message: string
}

export class AppError extends Error {
  readonly status: number
  constructor(
    readonly code: ErrorCode,
    readonly data?: Record<string, unknown>,
    /** Internal detail for logs only; never sent to the client. */
    detail?: string,
  ) {
    super(detail ?? ERRORS[code].message)
    this.name = 'AppError'
    this.status = ERRORS[code].status
  }

  static validation(errors: FieldError[]): AppError {
    return new AppError(ErrorCode.ValidationError, { errors })
  }

  static notFound(): AppError {
    return new AppError(ErrorCode.EntityNotFound)
  }

  static conflict(reason: string): AppError {
    return new AppError(ErrorCode.Conflict, { reason })
  }
}
