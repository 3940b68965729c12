import { RESOURCES as REGISTRY } from '../contract/resources.js'
import { Type, type Static, type TSchema } from 'typebox'

// The archive's format (docs/export-format.md describes it for people; the schemas here are the ones published
// there). Version 1: a gzip'd tar whose first entry is manifest.json, then one NDJSON file per resource, then
// builds/<applicationId>/<buildId> with each build's bytes. The manifest names every other entry with its size,
// SHA-256 and (for NDJSON) record count, so an importer can refuse a damaged archive before writing anything.
// Version 2 adds `details` to audit events; an importer of version 1 refuses it (its records are strict), so the
// version says so up front. Version 1 archives still import: their events have no details.

export const FORMAT = 'orgspace-export'
export const FORMAT_VERSION = 2
export const MANIFEST = 'manifest.json'

const Id = Type.String({ pattern: '^[a-f0-9]{24}$' })
const Instant = Type.String({ minLength: 1, maxLength: 64, description: 'ISO-8601 UTC' })
const Email = Type.String({ minLength: 3, maxLength: 320 })
const Text = (maxLength: number) => Type.String({ maxLength })
const Sha256 = Type.String({ pattern: '^[a-f0-9]{64}$' })
const strict = { additionalProperties: false } as const

export const CollaboratorRecord = Type.Object(
  {
    id: Id,
    email: Email,
    name: Text(256),
    role: Type.Union([
      Type.Literal('owner'),
      Type.Literal('admin'),
      Type.Literal('editor'),
      Type.Literal('viewer'),
    ]),
    createdAt: Instant,
  },
  strict,
)

export const AppRecord = Type.Object(
  {
    id: Id,
    name: Text(256),
    slug: Text(128),
    description: Text(10_000),
    createdAt: Instant,
    updatedAt: Instant,
  },
  strict,
)

export const BuildRecord = Type.Object(
  {
    id: Id,
    applicationId: Id,
    fileName: Text(1024),
    contentType: Text(256),
    size: Type.Integer({ minimum: 0 }),
    sha256: Sha256,
    versionName: Type.Union([Text(128), Type.Null()]),
    versionCode: Type.Union([Text(64), Type.Null()]),
    changelog: Type.Union([Text(10_000), Type.Null()]),
    tags: Type.Array(Text(256), { maxItems: 1000 }),
    deployer: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]),
    uploadedBy: Email,
    createdAt: Instant,
  },
  strict,
)

export const DeviceRecord = Type.Object(
  {
    id: Id,
    platform: Type.Union([Type.Literal('android'), Type.Literal('apple'), Type.Literal('windows')]),
    serialNumber: Text(256),
    name: Text(256),
    state: Text(64),
    enrolledAt: Instant,
  },
  strict,
)

export const SubscriptionRecord = Type.Object(
  {
    id: Id,
    plan: Text(128),
    status: Type.Union([
      Type.Literal('active'),
      Type.Literal('trialing'),
      Type.Literal('past_due'),
      Type.Literal('canceled'),
    ]),
    createdAt: Instant,
    canceledAt: Type.Union([Instant, Type.Null()]),
  },
  strict,
)

const AuditValue = Type.Union([Text(256), Type.Number(), Type.Boolean(), Type.Null()])

/** The contract's AuditDetails (src/contract/audit.ts), bounded. */
const AuditDetailsRecord = Type.Object(
  {
    name: Type.Optional(Text(256)),
    slug: Type.Optional(Text(128)),
    email: Type.Optional(Email),
    role: Type.Optional(Text(64)),
    serialNumber: Type.Optional(Text(256)),
    platform: Type.Optional(Text(64)),
    plan: Type.Optional(Text(128)),
    status: Type.Optional(Text(64)),
    url: Type.Optional(Text(2048)),
    fileName: Type.Optional(Text(1024)),
    version: Type.Optional(Text(128)),
    app: Type.Optional(Text(256)),
    archivedAt: Type.Optional(Instant),
    rows: Type.Optional(Type.Integer({ minimum: 0 })),
    changes: Type.Optional(
      Type.Record(Type.String({ maxLength: 64 }), Type.Object({ from: AuditValue, to: AuditValue }, strict), {
        maxProperties: 32,
      }),
    ),
  },
  strict,
)

export const AuditEventRecord = Type.Object(
  {
    id: Id,
    action: Text(128),
    entity: Text(64),
    /** The id of the entity acted on, as exported: an importer maps it like the entity's own id. */
    entityId: Text(64),
    /** The acting user's email; null for events without one. */
    actor: Type.Union([Email, Type.Null()]),
    /** Since version 2: the entity as it was and the change made; null for events recorded without. */
    details: Type.Optional(Type.Union([AuditDetailsRecord, Type.Null()])),
    createdAt: Instant,
  },
  strict,
)

/** The NDJSON files, in archive order, with the schema of their records. */
export const RESOURCES = {
  collaborators: { file: REGISTRY.collaborators.exportFile, schema: CollaboratorRecord },
  apps: { file: REGISTRY.apps.exportFile, schema: AppRecord },
  builds: { file: REGISTRY.builds.exportFile, schema: BuildRecord },
  devices: { file: REGISTRY.devices.exportFile, schema: DeviceRecord },
  subscriptions: { file: REGISTRY.subscriptions.exportFile, schema: SubscriptionRecord },
  auditEvents: { file: REGISTRY.auditEvents.exportFile, schema: AuditEventRecord },
} as const satisfies Record<string, { file: string; schema: TSchema }>

export type Resource = keyof typeof RESOURCES
export const RESOURCE_NAMES = Object.keys(RESOURCES) as Resource[]

export type CollaboratorRecord = Static<typeof CollaboratorRecord>
export type AppRecord = Static<typeof AppRecord>
export type BuildRecord = Static<typeof BuildRecord>
export type DeviceRecord = Static<typeof DeviceRecord>
export type SubscriptionRecord = Static<typeof SubscriptionRecord>
export type AuditEventRecord = Static<typeof AuditEventRecord>

const Counts = Type.Object(
  Object.fromEntries(RESOURCE_NAMES.map((name) => [name, Type.Integer({ minimum: 0 })])) as Record<
    Resource,
    ReturnType<typeof Type.Integer>
  >,
  strict,
)

export const ManifestFile = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 256 }),
    size: Type.Integer({ minimum: 0 }),
    sha256: Sha256,
    /** Lines of an NDJSON file; absent for a build's bytes. */
    records: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  strict,
)

export const Manifest = Type.Object(
  {
    format: Type.Literal(FORMAT),
    // Reads the versions before this one too.
    formatVersion: Type.Union([Type.Literal(1), Type.Literal(FORMAT_VERSION)]),
    orgspaceVersion: Type.String({ maxLength: 64 }),
    exportedAt: Instant,
    organization: Type.Object(
      {
        id: Id,
        name: Text(256),
        slug: Type.Union([Text(128), Type.Null()]),
        webSiteUrl: Type.Union([Text(2048), Type.Null()]),
        createdAt: Instant,
      },
      strict,
    ),
    counts: Counts,
    files: Type.Array(ManifestFile),
  },
  strict,
)

export type Manifest = Static<typeof Manifest>
export type ManifestFile = Static<typeof ManifestFile>
export type Counts = Static<typeof Counts>

/** The name of a build's bytes in the archive. */
export function buildEntryName(applicationId: string, buildId: string): string {
  return `builds/${applicationId}/${buildId}`
}

const ENTRY_NAME = /^(manifest\.json|[a-z-]+\.ndjson|builds\/[a-f0-9]{24}\/[a-f0-9]{24})$/

/** Only names orgspace writes: no absolute paths, no `..`, nothing a careless extractor could misplace. */
export function isEntryName(name: string): boolean {
  return ENTRY_NAME.test(name)
}
