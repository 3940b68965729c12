/** Who is calling: resolved once per request from the bearer token. */
export interface AuthContext {
  userId: string
  email: string
  name: string
  tokenId: string
  /** Set when the token only works inside one organization. */
  organizationId: string | null
}
