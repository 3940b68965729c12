import type { AuditAction } from '../../src/contract/audit.js'
import type { AuditChange, AuditDetails, AuditEvent, AuditValue } from './types.js'

// The audit history in words: "Ana changed Bob's role from admin to viewer". Everything comes from the event's
// own details (recorded with the change), so a renamed or deleted entity still reads as it was then.

/** What a kind of entity is called in the action filter, by its prefix (`device.`). */
export const KIND_LABELS: Record<string, string> = {
  'organization.': 'Workspace',
  'collaborator.': 'Collaborators',
  'app.': 'Apps',
  'build.': 'Builds',
  'app_token.': 'App tokens',
  'device.': 'Devices',
  'subscription.': 'Subscriptions',
  'webhook.': 'Webhooks',
}

/** Each action as the filter lists it. */
export const ACTION_LABELS: Record<AuditAction, string> = {
  'organization.create': 'Workspace created',
  'organization.update': 'Workspace changed',
  'organization.ownerChange': 'Ownership transferred',
  'organization.export': 'Workspace exported',
  'organization.import': 'Workspace imported',
  'organization.retention': 'Retention applied',
  'collaborator.create': 'Collaborator invited',
  'collaborator.update': 'Role changed',
  'collaborator.remove': 'Collaborator removed',
  'app.create': 'App created',
  'app.update': 'App changed',
  'app.remove': 'App deleted',
  'build.upload': 'Build uploaded',
  'build.remove': 'Build deleted',
  'app_token.create': 'App token created',
  'app_token.remove': 'App token revoked',
  'device.enroll': 'Device enrolled',
  'device.unenroll': 'Device unenrolled',
  'subscription.create': 'Subscription started',
  'subscription.cancel': 'Subscription canceled',
  'webhook.create': 'Webhook added',
  'webhook.update': 'Webhook changed',
  'webhook.remove': 'Webhook removed',
  'webhook.delivery.retry': 'Webhook delivery retried',
}

/** Who did it: their name, else their email. */
function actorName(event: AuditEvent): string {
  if (!event.actor) return 'orgspace'
  return event.actor.name || event.actor.email || 'Someone'
}

function shown(value: AuditValue): string {
  if (value === null || value === '') return 'nothing'
  if (typeof value === 'boolean') return value ? 'on' : 'off'
  return typeof value === 'string' ? `“${value}”` : String(value)
}

/** The person a collaborator event is about: their name, else their email. */
function person(d: AuditDetails): string {
  return d.name || d.email || 'a collaborator'
}

function possessive(name: string): string {
  return name.endsWith('s') ? `${name}'` : `${name}'s`
}

/** "name from “A” to “B” and slug from “a” to “b”"; the fields given first, in that order. */
function changeList(
  changes: Record<string, AuditChange> | undefined,
  labels: Record<string, string>,
): string {
  const parts = Object.entries(changes ?? {}).map(([field, change]) => {
    const label = labels[field] ?? field
    // Long text is recorded clipped: saying it changed is what helps.
    if (field === 'description') return `changed its ${label}`
    return `${label} from ${shown(change.from)} to ${shown(change.to)}`
  })
  if (parts.length <= 1) return parts.join('')
  return `${parts.slice(0, -1).join(', ')} and ${parts.at(-1) ?? ''}`
}

function device(d: AuditDetails): string {
  const serial = d.serialNumber ?? 'a device'
  const platform = d.platform ? `, ${d.platform}` : ''
  return d.name
    ? `device ${d.name} (${serial}${platform})`
    : `device ${serial}${d.platform ? ` (${d.platform})` : ''}`
}

const count = new Intl.NumberFormat('en-US')

function plural(n: number, one: string, many: string): string {
  return `${count.format(n)} ${n === 1 ? one : many}`
}

/** "Retention removed 12 builds and 3,400 history events older than 90 days": what one run removed, and why. */
function retentionSentence(d: AuditDetails): string {
  const builds = d.builds ? plural(d.builds, 'build', 'builds') : ''
  const events = d.events ? plural(d.events, 'history event', 'history events') : ''
  const older = (days: number | undefined) =>
    days === undefined ? '' : ` older than ${plural(days, 'day', 'days')}`
  const removed =
    builds && events && d.buildsDays === d.auditDays
      ? `${builds} and ${events}${older(d.auditDays)}`
      : [builds && `${builds}${older(d.buildsDays)}`, events && `${events}${older(d.auditDays)}`]
          .filter(Boolean)
          .join(' and ')
  return `Retention removed ${removed || 'nothing'}`
}

function build(d: AuditDetails): string {
  const version = d.version ? ` ${d.version}` : ''
  return `build ${d.fileName ?? ''}${version}${d.app ? ` of ${d.app}` : ''}`
}

/** What the actor did, as the rest of a sentence after their name; null when the details do not say enough. */
function predicate(action: string, d: AuditDetails): string | null {
  const name = d.name ?? ''
  switch (action) {
    case 'organization.create':
      return `created the workspace ${name}`
    case 'organization.update': {
      const change = d.changes?.name
      const others = { ...d.changes }
      delete others.name
      const rest = changeList(others, {
        slug: 'slug',
        webSiteUrl: 'web site',
        'retention.auditDays': 'history retention (days)',
        'retention.buildsDays': 'build retention (days)',
        'retention.buildsKeepLatest': 'builds kept per app',
      })
      if (change)
        return `renamed the workspace from ${shown(change.from)} to ${shown(change.to)}${rest ? `, ${rest}` : ''}`
      return rest ? `changed the workspace's ${rest}` : 'saved the workspace settings without changes'
    }
    case 'organization.ownerChange':
      return `transferred ownership to ${person(d)}`
    case 'organization.export':
      return 'exported the workspace'
    case 'organization.import':
      return `imported the workspace from an archive of ${d.archivedAt?.slice(0, 10) ?? 'unknown date'}, ${d.rows ?? 0} rows`
    case 'collaborator.create':
      return `invited ${person(d)}${d.role ? ` as ${d.role}` : ''}`
    case 'collaborator.update': {
      const role = d.changes?.role
      if (!role) return `changed ${possessive(person(d))} role`
      return `changed ${possessive(person(d))} role from ${String(role.from)} to ${String(role.to)}`
    }
    case 'collaborator.remove':
      return `removed ${person(d)}${d.role ? ` (${d.role})` : ''}`
    case 'app.create':
      return `created app ${name}`
    case 'app.update': {
      const change = d.changes?.name
      const others = { ...d.changes }
      delete others.name
      const rest = changeList(others, { slug: 'slug', description: 'description' })
      if (change)
        return `renamed app ${shown(change.from)} to ${shown(change.to)}${rest ? ` and ${rest}` : ''}`
      return rest ? `updated app ${name}: ${rest}` : `saved app ${name} without changes`
    }
    case 'app.remove':
      return `deleted app ${name}`
    case 'build.upload':
      return `uploaded ${build(d)}`
    case 'build.remove':
      return `deleted ${build(d)}`
    case 'app_token.create':
      return `created app token ${name}${d.app ? ` for ${d.app}` : ''}`
    case 'app_token.remove':
      return `revoked app token ${name}${d.app ? ` of ${d.app}` : ''}`
    case 'device.enroll':
      return `enrolled ${device(d)}`
    case 'device.unenroll':
      return `unenrolled ${device(d)}`
    case 'subscription.create':
      return `started a ${d.plan ?? ''} subscription`
    case 'subscription.cancel':
      return `canceled the ${d.plan ?? ''} subscription`
    case 'webhook.create':
      return `added a webhook to ${d.url ?? 'an endpoint'}`
    case 'webhook.update': {
      const enabled = d.changes?.enabled
      const others = { ...d.changes }
      delete others.enabled
      const rest = changeList(others, { url: 'address', events: 'events', description: 'description' })
      const switched = enabled ? `${enabled.to ? 'enabled' : 'disabled'} the webhook to ${d.url ?? ''}` : ''
      if (switched && rest) return `${switched} and changed its ${rest}`
      if (switched) return switched
      return rest ? `changed the webhook to ${d.url ?? ''}: ${rest}` : `saved the webhook to ${d.url ?? ''}`
    }
    case 'webhook.remove':
      return `removed the webhook to ${d.url ?? 'an endpoint'}`
    case 'webhook.delivery.retry':
      return `retried a delivery to ${d.url ?? 'a webhook'}`
    default:
      return null
  }
}

/**
 * One event as a sentence. Events recorded before details were kept (or of an action this dashboard does not
 * know) fall back to the action and the entity's id, which is all they say.
 */
export function describeEvent(event: AuditEvent): string {
  // Retention is the workspace's own policy at work, not anyone's act: the sentence names the policy.
  if (event.action === 'organization.retention' && event.details) return retentionSentence(event.details)
  const said = event.details ? predicate(event.action, event.details) : null
  if (said) return `${actorName(event)} ${said}`
  const label = (ACTION_LABELS as Record<string, string>)[event.action] ?? event.action
  return `${actorName(event)}: ${label} (${event.entity} ${event.entityId})`
}
