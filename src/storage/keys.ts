// Where things live in storage. Every key starts with the organization id, so one listing of the organization's
// prefix shows (and one purge of it removes) everything a workspace holds.

export function organizationPrefix(organizationId: string): string {
  return `${organizationId}/`
}

export function appPrefix(organizationId: string, appId: string): string {
  return `${organizationId}/${appId}/`
}

export function buildKey(organizationId: string, appId: string, buildId: string): string {
  return `${organizationId}/${appId}/${buildId}`
}

const BUILD_KEY = /^([a-f0-9]{24})\/([a-f0-9]{24})\/([a-f0-9]{24})$/

/** The build a key belongs to; null for a key orgspace never writes (a stray, or an interrupted write). */
export function parseBuildKey(
  key: string,
): { organizationId: string; appId: string; buildId: string } | null {
  const match = BUILD_KEY.exec(key)
  if (!match?.[1] || !match[2] || !match[3]) return null
  return { organizationId: match[1], appId: match[2], buildId: match[3] }
}
