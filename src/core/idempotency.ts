// What the Idempotency-Key hook (src/http/idempotency.ts) asks of the store that keeps claims and answers
// (src/idempotency/): the two meet only here, so the HTTP layer knows no domain module.

export interface Claim {
  /** Whose key: `user:<id>` or `app-token:<id>`. */
  caller: string
  key: string
  /** SHA-256 of the method, route and path parameters. */
  targetSha256: string
  /** SHA-256 of the body; null while an upload's body has not been read. */
  bodySha256: string | null
  /** The organization the request names (id or slug), whose answer this will be; null for none. */
  organization: string | null
}

export type ClaimOutcome =
  | { kind: 'claimed'; id: string; organizationId: string | null }
  | { kind: 'running' }
  | { kind: 'kept'; targetSha256: string; bodySha256: string | null; status: number; body: string }

export interface Answer {
  status: number
  body: string
  bodySha256: string
  /** The organization the answer belongs to (its data goes with it); null for none. */
  organizationId: string | null
}

export interface IdempotencyStore {
  claim(claim: Claim): Promise<ClaimOutcome>
  /** Keeps the answer of claim `id` for the TTL. */
  keep(id: string, answer: Answer): Promise<void>
  /** Frees the key: the answer is not kept. */
  release(id: string): Promise<void>
}
