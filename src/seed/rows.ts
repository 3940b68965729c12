import { newId } from '../db/ids.js'
import type {
  AppsTable,
  AuditEventsTable,
  CollaboratorsTable,
  DevicesTable,
  Platform,
  Role,
  UsersTable,
} from '../db/types.js'

// Generated rows for bulk seeding. They look like what the API itself would store, so that listings, filters
// and the purge behave on seeded tenants as they do on real ones. Row `n` (0-based) of a kind is a pure
// function of `n`, which keeps serial numbers and slugs unique without remembering anything.

const PLATFORMS: readonly Platform[] = ['android', 'apple', 'windows']

const MODELS: Record<Platform, { prefix: string; names: readonly string[] }> = {
  android: { prefix: 'R5C', names: ['Pixel 8', 'Galaxy S23', 'Galaxy Tab A9', 'Zebra TC52', 'Moto G84'] },
  apple: { prefix: 'F2L', names: ['iPhone 15', 'iPhone SE', 'iPad Air', 'iPad mini', 'MacBook Air'] },
  windows: { prefix: 'PF3', names: ['Surface Pro 9', 'ThinkPad X1', 'Latitude 7440', 'Surface Go 4'] },
}

const APP_NAMES = [
  'Field Service',
  'Sales Companion',
  'Warehouse Scanner',
  'Expenses',
  'Timesheets',
  'Store Kiosk',
  'Delivery Tracker',
  'Support Desk',
  'Training Hub',
  'Inventory',
]

export const DEVICE_COLUMNS = [
  'id',
  'organization_id',
  'platform',
  'serial_number',
  'name',
  'state',
  'enrolled_at',
] as const satisfies readonly (keyof DevicesTable)[]

export function deviceRow(organizationId: string, n: number, at: string): DevicesTable {
  const platform = PLATFORMS[n % PLATFORMS.length] ?? 'android'
  const model = MODELS[platform]
  return {
    id: newId(),
    organization_id: organizationId,
    platform,
    // Base-36 of n, padded: unique within the organization, and shaped like a vendor serial.
    serial_number: `${model.prefix}${n.toString(36).toUpperCase().padStart(9, '0')}`,
    name: `${model.names[Math.floor(n / PLATFORMS.length) % model.names.length]} ${n + 1}`,
    state: 'enrolled',
    enrolled_at: at,
  }
}

export const APP_COLUMNS = [
  'id',
  'organization_id',
  'name',
  'slug',
  'description',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof AppsTable)[]

export function appRow(organizationId: string, n: number, at: string): AppsTable {
  const base = APP_NAMES[n % APP_NAMES.length] ?? 'App'
  return {
    id: newId(),
    organization_id: organizationId,
    name: `${base} ${n + 1}`,
    slug: `${base.toLowerCase().replace(/ /g, '-')}-${n + 1}`,
    description: `${base} for the team, build ${n + 1}`,
    created_at: at,
    updated_at: at,
  }
}

export const USER_COLUMNS = [
  'id',
  'email',
  'name',
  'created_at',
] as const satisfies readonly (keyof UsersTable)[]

export const COLLABORATOR_COLUMNS = [
  'id',
  'organization_id',
  'user_id',
  'role',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof CollaboratorsTable)[]

/** Roughly the mix of a real workspace: one admin in ten, three editors, the rest viewers. */
export function seededRole(n: number): Exclude<Role, 'owner'> {
  const tenth = n % 10
  return tenth === 0 ? 'admin' : tenth <= 3 ? 'editor' : 'viewer'
}

/**
 * A new user and its membership. Users are global, so their emails carry the run's random `tag`: seeding
 * twice, or into a database that already has users, never collides.
 */
export function collaboratorRows(
  organizationId: string,
  n: number,
  tag: string,
  at: string,
): { user: UsersTable; collaborator: CollaboratorsTable } {
  const user: UsersTable = {
    id: newId(),
    email: `seed-${n + 1}-${tag}@example.test`,
    name: `Seed User ${n + 1}`,
    created_at: at,
  }
  const collaborator: CollaboratorsTable = {
    id: newId(),
    organization_id: organizationId,
    user_id: user.id,
    role: seededRole(n),
    created_at: at,
    updated_at: at,
  }
  return { user, collaborator }
}

export const AUDIT_COLUMNS = [
  'id',
  'organization_id',
  'action',
  'entity',
  'entity_id',
  'actor_id',
  'created_at',
] as const satisfies readonly (keyof AuditEventsTable)[]

export type SampledEntity = 'device' | 'app' | 'collaborator'

/** The actions the API records, weighted like a busy workspace: mostly device churn. */
const AUDIT_TEMPLATES: readonly { action: string; entity: SampledEntity | 'organization' }[] = [
  { action: 'device.enroll', entity: 'device' },
  { action: 'device.enroll', entity: 'device' },
  { action: 'device.enroll', entity: 'device' },
  { action: 'device.unenroll', entity: 'device' },
  { action: 'app.update', entity: 'app' },
  { action: 'app.create', entity: 'app' },
  { action: 'collaborator.create', entity: 'collaborator' },
  { action: 'collaborator.update', entity: 'collaborator' },
  { action: 'device.enroll', entity: 'device' },
  { action: 'organization.update', entity: 'organization' },
]

/**
 * Audit event `n`, about one of the seeded entities (`samples`, ids remembered from the earlier phases). When
 * the organization has none of the entity a template wants, the event is about the organization itself.
 */
export function auditRow(
  organizationId: string,
  actorId: string,
  n: number,
  samples: Readonly<Record<SampledEntity, readonly string[]>>,
  at: string,
): AuditEventsTable {
  const template = AUDIT_TEMPLATES[n % AUDIT_TEMPLATES.length] ?? {
    action: 'organization.update',
    entity: 'organization',
  }
  const pool = template.entity === 'organization' ? [] : samples[template.entity]
  const entityId = pool[Math.floor(n / AUDIT_TEMPLATES.length) % Math.max(pool.length, 1)]
  const about = entityId === undefined ? { action: 'organization.update', entity: 'organization' } : template
  return {
    id: newId(),
    organization_id: organizationId,
    action: about.action,
    entity: about.entity,
    entity_id: entityId ?? organizationId,
    actor_id: actorId,
    // Seeded events stand for history recorded before details were kept.
    details: null,
    created_at: at,
  }
}
