// The one error type of orgspace. Every failure a client can see is an AppError with a code from the contract's
// table (src/contract/errors.ts), rendered by the one error handler (error-handler.ts) into the envelope.

import { ERRORS, ErrorCode } from '../contract/errors.js'

export { ERRORS, ErrorCode }

/** The most field errors one answer lists. */
const MAX_FIELD_ERRORS = 100

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
    // A body of thousands of unknown fields gets the first ones named, not an answer larger than itself.
    return new AppError(ErrorCode.ValidationError, { errors: errors.slice(0, MAX_FIELD_ERRORS) })
  }

  static notFound(): AppError {
    return new AppError(ErrorCode.EntityNotFound)
  }

  static conflict(reason: string): AppError {
    return new AppError(ErrorCode.Conflict, { reason })
  }
}
