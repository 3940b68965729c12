import { createHash, randomBytes } from 'node:crypto'
import type { Readable } from 'node:stream'
import type { Db, Trx } from '../db/connect.js'
import { isId, nowIso } from '../db/ids.js'
import type { AuditEventsTable, BuildsTable, CollaboratorsTable } from '../db/types.js'
import { requestDeletion } from '../deletion/command.js'
import { insertBuild } from '../builds/repository.js'
import { adjustCounter, insertOrganization } from '../organizations/repository.js'
import { slugUnavailable } from '../organizations/slug-availability.js'
import { slugProblem } from '../organizations/slug.js'
import { writeInOrganization } from '../organizations/write.js'
import { insertRows } from '../db/bulk-insert.js'
import { buildKey } from '../storage/keys.js'
import type { ObjectStorage } from '../storage/storage.js'
import { blockingSubscriptions, cancelSubscription, insertSubscription } from '../subscriptions/repository.js'
import type { AuthContext } from '../core/auth-context.js'
import { findOrCreateUser } from '../users/service.js'
import type {
  AppRecord,
  AuditEventRecord,
  BuildRecord,
  CollaboratorRecord,
  DeviceRecord,
  Manifest,
  Resource,
  SubscriptionRecord,
} from './format.js'
import { ArchiveRefused, readArchive } from './reader.js'

// `orgspace import`: an archive becomes a new organization. The archive is read through once and checked whole
// (reader.ts) before anything is written. Then it is read again and written in bounded transactions, each taking
// the organization's write lock like any other write. Every id is new; `mapId` derives it from the old one and a
// salt of this import, so references (an audit event's entity, a build's app) stay consistent without a table of
// millions of ids in memory. If the writing fails, the half-written organization is deleted through the normal
// DELETE and purge.

export interface ImportOptions {
  /** Email of the new organization's owner; the user is created if new. */
  owner: string
  /** The new organization's slug; the archive's when left out. */
  slug?: string
}

export interface ImportProgress {
  /** Records and builds written so far, of `total`. */
  done: number
  total: number
  step: string
}

export interface ImportResult {
  organizationId: string
  manifest: Manifest
}

/** New 24-hex ids for old ones: the old id's seconds (creation order is kept), then 8 bytes of a salted hash. */
function idMapper(salt: Buffer): (old: string) => string {
  return (old) => old.slice(0, 8) + createHash('sha256').update(salt).update(old).digest('hex').slice(0, 16)
}

export async function importArchive(
  db: Db,
  storage: ObjectStorage,
  path: string,
  options: ImportOptions,
  onProgress: (progress: ImportProgress) => void = () => undefined,
): Promise<ImportResult> {
  const manifest = await readArchive(path)
  const slug = (options.slug ?? manifest.organization.slug ?? '').toLowerCase()
  const problem = slug === '' ? 'is missing: pass --slug' : slugProblem(slug)
  if (problem) throw new ArchiveRefused(`the slug "${slug}" ${problem}`)
  const unavailable = await slugUnavailable(db, slug)
  if (unavailable) throw new ArchiveRefused(`the slug "${slug}" ${unavailable}: pass another with --slug`)

  const { user: owner } = await findOrCreateUser(db, options.owner)
  const auth: AuthContext = {
    userId: owner.id,
    email: owner.email,
    name: owner.name,
    tokenId: '',
    organizationId: null,
  }
  const mapId = idMapper(randomBytes(16))
  const organizationId = mapId(manifest.organization.id)
  const now = nowIso()
  await db.transaction().execute((trx) =>
    insertOrganization(trx, {
      id: organizationId,
      name: manifest.organization.name,
      slug,
      web_site_url: manifest.organization.webSiteUrl,
      status: 'active',
      created_at: manifest.organization.createdAt,
      updated_at: now,
      deleted_at: null,
      legal_hold_reason: null,
      legal_hold_at: null,
    }),
  )

  const total = Object.values(manifest.counts).reduce((sum, n) => sum + n, 0) + manifest.counts.builds
  let done = 0
  const writer = new Writer(db, storage, organizationId, owner.id, owner.email, mapId)
  try {
    await readArchive(path, {
      async records(resource, records) {
        await writer.records(resource, records)
        done += records.length
        onProgress({ done, total, step: resource })
      },
      async build(applicationId, buildId, bytes) {
        await writer.build(applicationId, buildId, bytes)
        done++
        onProgress({ done, total, step: 'builds' })
      },
    })
    await writer.finish()
  } catch (error) {
    await discard(db, auth, organizationId)
    throw error
  }
  return { organizationId, manifest }
}

/** A half-written import goes the way of any deleted organization: DELETE, then the purge. */
async function discard(db: Db, auth: AuthContext, organizationId: string): Promise<void> {
  // Subscriptions copied from the archive would block the DELETE; they were never billed here.
  await writeInOrganization(db, organizationId, async (trx) => {
    for (const subscription of await blockingSubscriptions(trx, organizationId))
      await cancelSubscription(trx, organizationId, subscription.id, nowIso())
  })
  await requestDeletion(db, auth, organizationId, { graceSeconds: 0, quarantineSeconds: 0 })
}

/** Writes records as they come, each page in one transaction under the organization's write lock. */
class Writer {
  private readonly users = new Map<string, string>()
  private ownerSeen = false

  constructor(
    private readonly db: Db,
    private readonly storage: ObjectStorage,
    private readonly organizationId: string,
    private readonly ownerId: string,
    private readonly ownerEmail: string,
    private readonly mapId: (old: string) => string,
  ) {
    this.users.set(ownerEmail, ownerId)
  }

  private async userId(email: string): Promise<string> {
    const known = this.users.get(email)
    if (known !== undefined) return known
    const { user } = await findOrCreateUser(this.db, email)
    // Bounded by the people named in the archive (collaborators, uploaders, actors), not by its rows.
    this.users.set(user.email, user.id)
    return user.id
  }

  private write(work: (trx: Trx) => Promise<void>): Promise<void> {
    return writeInOrganization(this.db, this.organizationId, work)
  }

  async records(resource: Resource, records: unknown[]): Promise<void> {
    const org = this.organizationId
    const map = this.mapId
    switch (resource) {
      case 'collaborators': {
        const rows: CollaboratorsTable[] = []
        for (const r of records as CollaboratorRecord[]) {
          const email = r.email.toLowerCase()
          const owner = email === this.ownerEmail
          if (owner) this.ownerSeen = true
          rows.push({
            id: map(r.id),
            organization_id: org,
            user_id: await this.userId(email),
            // The archive's owner stays an admin when someone else imports the workspace.
            role: owner ? ('owner' as const) : r.role === 'owner' ? ('admin' as const) : r.role,
            created_at: r.createdAt,
            updated_at: r.createdAt,
          })
        }
        return this.write(async (trx) => {
          await insertRows(
            trx,
            'collaborators',
            ['id', 'organization_id', 'user_id', 'role', 'created_at', 'updated_at'],
            rows,
          )
          await adjustCounter(trx, org, 'collaborators_count', rows.length)
        })
      }
      case 'apps': {
        const rows = (records as AppRecord[]).map((r) => ({
          id: map(r.id),
          organization_id: org,
          name: r.name,
          slug: r.slug,
          description: r.description,
          created_at: r.createdAt,
          updated_at: r.updatedAt,
        }))
        await this.ensureOwner()
        return this.write(async (trx) => {
          await insertRows(
            trx,
            'apps',
            ['id', 'organization_id', 'name', 'slug', 'description', 'created_at', 'updated_at'],
            rows,
          )
          await adjustCounter(trx, org, 'apps_count', rows.length)
        })
      }
      case 'builds': {
        const rows: BuildsTable[] = []
        for (const r of records as BuildRecord[])
          rows.push({
            organization_id: org,
            id: map(r.id),
            app_id: map(r.applicationId),
            file_name: r.fileName,
            content_type: r.contentType,
            size: r.size,
            sha256: r.sha256,
            version_name: r.versionName,
            version_code: r.versionCode,
            changelog: r.changelog,
            tags: JSON.stringify(r.tags),
            deployer: r.deployer === null ? null : JSON.stringify(r.deployer),
            uploaded_by: await this.userId(r.uploadedBy.toLowerCase()),
            app_token_id: null,
            created_at: r.createdAt,
          })
        return this.write(async (trx) => {
          for (const row of rows) await insertBuild(trx, row)
          await adjustCounter(
            trx,
            org,
            'builds_bytes',
            rows.reduce((sum, row) => sum + row.size, 0),
          )
        })
      }
      case 'devices': {
        const rows = (records as DeviceRecord[]).map((r) => ({
          id: map(r.id),
          organization_id: org,
          platform: r.platform,
          serial_number: r.serialNumber,
          name: r.name,
          state: r.state,
          enrolled_at: r.enrolledAt,
        }))
        return this.write(async (trx) => {
          await insertRows(
            trx,
            'devices',
            ['id', 'organization_id', 'platform', 'serial_number', 'name', 'state', 'enrolled_at'],
            rows,
          )
          await adjustCounter(trx, org, 'devices_count', rows.length)
        })
      }
      case 'subscriptions': {
        const rows = (records as SubscriptionRecord[]).map((r) => ({
          id: map(r.id),
          organization_id: org,
          plan: r.plan,
          status: r.status,
          created_at: r.createdAt,
          canceled_at: r.canceledAt,
        }))
        return this.write(async (trx) => {
          for (const row of rows) await insertSubscription(trx, row)
        })
      }
      case 'auditEvents': {
        const rows: AuditEventsTable[] = []
        for (const r of records as AuditEventRecord[])
          rows.push({
            id: map(r.id),
            organization_id: org,
            action: r.action,
            entity: r.entity,
            // Ids of the archive's entities are mapped like the entities themselves; other values stay.
            entity_id: isId(r.entityId) ? map(r.entityId.toLowerCase()) : r.entityId,
            actor_id: r.actor === null ? null : await this.userId(r.actor.toLowerCase()),
            details: r.details == null ? null : JSON.stringify(r.details),
            created_at: r.createdAt,
          })
        return this.write((trx) =>
          insertRows(
            trx,
            'audit_events',
            ['id', 'organization_id', 'action', 'entity', 'entity_id', 'actor_id', 'details', 'created_at'],
            rows,
          ),
        )
      }
    }
  }

  /** The importing owner, when the archive's collaborators did not name them. */
  private async ensureOwner(): Promise<void> {
    if (this.ownerSeen) return
    this.ownerSeen = true
    const now = nowIso()
    const row = {
      id: this.mapId(randomBytes(12).toString('hex')),
      organization_id: this.organizationId,
      user_id: this.ownerId,
      role: 'owner' as const,
      created_at: now,
      updated_at: now,
    }
    await this.write(async (trx) => {
      await insertRows(
        trx,
        'collaborators',
        ['id', 'organization_id', 'user_id', 'role', 'created_at', 'updated_at'],
        [row],
      )
      await adjustCounter(trx, this.organizationId, 'collaborators_count', 1)
    })
  }

  /** A build's bytes go where its row (written with builds.ndjson) says; the purge's prefix covers a failure. */
  async build(applicationId: string, buildId: string, bytes: Readable): Promise<void> {
    await this.storage.put(
      buildKey(this.organizationId, this.mapId(applicationId), this.mapId(buildId)),
      bytes,
      'application/octet-stream',
    )
  }

  async finish(): Promise<void> {
    await this.ensureOwner()
  }
}
