import { AppError, ErrorCode } from '../core/errors.js'

// Why an encrypted object cannot be read. To a client every one is an internal error (the bytes are orgspace's
// fault, never the caller's); the message, for logs and the operator's CLI, says which.

export type UnreadableReason = 'key-destroyed' | 'tampered' | 'truncated' | 'key-unusable'

const WHY: Record<UnreadableReason, string> = {
  'key-destroyed': "the organization's key is destroyed",
  tampered: 'it fails its integrity check: it was altered',
  truncated: 'it fails its integrity check: it is truncated',
  'key-unusable': "the organization's key cannot be unwrapped by any master key this process has",
}

export class UnreadableObject extends AppError {
  constructor(
    readonly key: string,
    readonly reason: UnreadableReason,
  ) {
    super(ErrorCode.Internal, undefined, `${key} cannot be decrypted: ${WHY[reason]}`)
  }

  /** The reason alone, as the CLI prints it. */
  get why(): string {
    return WHY[this.reason]
  }
}
