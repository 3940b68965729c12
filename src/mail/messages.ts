import { resourceNamed } from '../contract/resources.js'
import { plural } from '../contract/units.js'
// The emails orgspace sends: to an organization's owner and admins, when its deletion is requested and when it
// has completed. Plain text, and the same words as simple HTML.

export interface MailMessage {
  to: string
  subject: string
  text: string
  html: string
}

interface Organization {
  name: string
  slug: string
}

export interface DeletionRequested {
  organization: Organization
  deletionId: string
  requestedBy: { email: string }
  requestedAt: string
  /** Until when it can be restored; null when it cannot (purged at once). */
  restoreDeadline: string | null
}

export interface DeletionCompleted {
  organization: Organization
  deletionId: string
  requestedBy: { email: string }
  requestedAt: string
  completedAt: string
  counts: Record<string, number>
}

/** "2025-03-01 14:05 UTC": unambiguous for every reader, whatever their time zone. */
function when(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** Paragraphs as text (blank lines between) and as HTML (<p> each, escaped). */
function compose(to: string, subject: string, paragraphs: string[]): MailMessage {
  return {
    to,
    subject,
    text: `${paragraphs.join('\n\n')}\n`,
    html: `<!doctype html><html><body>${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('')}</body></html>`,
  }
}

/** How a receipt's counts read in a sentence: "1 app", "3 audit events"; a resource the registry does not name as is. */
function counted(resource: string, n: number): string {
  const [one, many] = resourceNamed(resource)?.noun ?? [resource, resource]
  return plural(n, one, many)
}

const named = (org: Organization) => (org.slug ? `"${org.name}" (${org.slug})` : `"${org.name}"`)

export function deletionRequestedMail(to: string, d: DeletionRequested): MailMessage {
  return compose(to, `Workspace "${d.organization.name}" was deleted`, [
    `The workspace ${named(d.organization)} was deleted by ${d.requestedBy.email} on ${when(d.requestedAt)}.`,
    d.restoreDeadline
      ? `It can be restored until ${when(d.restoreDeadline)}; after that, everything in it is removed permanently.`
      : 'It cannot be restored: everything in it is now being removed permanently.',
    'You will get another email when the removal is complete.',
    `You are told because you are an owner or admin of this workspace. Deletion receipt: ${d.deletionId}.`,
  ])
}

export function deletionCompletedMail(to: string, d: DeletionCompleted): MailMessage {
  const removed = Object.entries(d.counts)
    .filter(([, n]) => n > 0)
    .map(([resource, n]) => counted(resource, n))
  return compose(to, `Workspace "${d.organization.name}" has been permanently deleted`, [
    `The deletion of the workspace ${named(d.organization)}, requested by ${d.requestedBy.email} on ${when(d.requestedAt)}, completed on ${when(d.completedAt)}.`,
    removed.length > 0
      ? `Removed for good: ${removed.join(', ')}.`
      : 'Nothing else was left in it to remove.',
    `You are told because you were an owner or admin of this workspace. Deletion receipt: ${d.deletionId}.`,
  ])
}
