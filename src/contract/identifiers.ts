// How organizations and applications are named in paths (ids or slugs).

/** An id (24 hex characters) or a slug. */
export const ORGANIZATION_REF_PATTERN = '^(([a-fA-F0-9]{24})|([a-zA-Z0-9\\-]{3,}))$'

export const SLUG_MAX_LENGTH = 128

/**
 * The longest path parameter the router passes on (its default is 100, shorter than a slug may be). Ids are 24
 * characters and slugs at most SLUG_MAX_LENGTH; the room above that lets a route's own schema refuse an
 * over-long one with an error that names the parameter.
 */
export const PATH_PARAMETER_MAX_LENGTH = 2 * SLUG_MAX_LENGTH
