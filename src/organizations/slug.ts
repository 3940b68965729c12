import { randomBytes } from 'node:crypto'

// Slugs address organizations in URLs next to their ids, so they must never look like an id (24 hex) and
// never shadow a route or a word the product reserves.
/** The one limit on a slug's length: at creation, in path parameters and in check-slug. */
import { SLUG_MAX_LENGTH } from '../contract/identifiers.js'

const SLUG_PATTERN = '^[a-zA-Z0-9][a-zA-Z0-9-]+[a-zA-Z0-9]$'
const SLUG_RE = new RegExp(SLUG_PATTERN)

const RESERVED_SLUGS: ReadonlySet<string> = new Set([
  'check-slug',
  'new',
  'admin',
  'api',
  'app',
  'apps',
  'assets',
  'audit',
  'auth',
  'billing',
  'collaborators',
  'dashboard',
  'deletion-preview',
  'deletions',
  'devices',
  'docs',
  'edit',
  'healthz',
  'help',
  'login',
  'logout',
  'me',
  'metrics',
  'null',
  'openapi',
  'organization',
  'organizations',
  'readyz',
  'root',
  'settings',
  'signin',
  'signup',
  'static',
  'subscriptions',
  'support',
  'system',
  'undefined',
  'users',
  'v1',
  'www',
])

/** Why `slug` cannot be used, or null when its form is acceptable (availability is checked separately). */
export function slugProblem(slug: string): string | null {
  if (slug.length < 3 || slug.length > SLUG_MAX_LENGTH) return `must be 3 to ${SLUG_MAX_LENGTH} characters`
  if (!SLUG_RE.test(slug)) return 'may contain only letters, digits and inner hyphens'
  if (/^[a-fA-F0-9]{24}$/.test(slug)) return 'must not look like an id (24 hex characters)'
  if (RESERVED_SLUGS.has(slug.toLowerCase())) return 'is reserved'
  return null
}

/** A slug derived from a name: lower-case words joined by hyphens, made valid if the name alone is not. */
export function slugify(name: string): string {
  let slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 100)
    .replace(/-+$/, '')
  if (slugProblem(slug) !== null) slug = slug ? `${slug}-${randomSuffix()}` : `workspace-${randomSuffix()}`
  return slug
}

export function randomSuffix(): string {
  return randomBytes(3).toString('hex')
}
