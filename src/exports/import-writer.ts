import { randomBytes } from 'node:crypto'
import type { Readable } from 'node:stream'
import type { Db, Trx } from '../db/connect.js'
import { isId, nowIso } from '../db/ids.js'
import type { AuditEventsTable, BuildsTable, CollaboratorsTable } from '../db/types.js'
import { insertRows } from '../db/bulk-insert.js'
import { analyzeTables } from '../db/statistics.js'
import { RESOURCES as REGISTRY } from '../contract/resources.js'
import type { Clock } from '../core/clock.js'
import { insertBuild } from '../builds/repository.js'
import { adjustCounter } from '../organizations/repository.js'
import { recordAudit } from '../outbox/audit.js'
import { buildKey } from '../storage/keys.js'
import type { ObjectStorage } from '../storage/storage.js'
import { insertSubscription } from '../subscriptions/repository.js'
import { findOrCreateUser } from '../users/service.js'
import {
  RESOURCE_NAMES,
  type AppRecord,
  type AuditEventRecord,
  type BuildRecord,
  type CollaboratorRecord,
  type DeviceRecord,
  type Manifest,
  type Resource,
  type SubscriptionRecord,
} from './format.js'
import { goLive, writeInImport } from './import-lease.js'

// The import's writing (import.ts reads the archive and hands its pages here): each page in one transaction on the
// importing organization, its ids mapped, its people found or created by email.

/** Writes records as they come, each page in one transaction under the organization's write lock. */
export class Writer {
  private readonly users = new Map<string, string>()
  private ownerSeen = false

  constructor(
    private readonly db: Db,
    private readonly storage: ObjectStorage,
    private readonly clock: Clock,
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
    return writeInImport(this.db, this.clock, this.organizationId, work)
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

  /** The owner if still missing, the history's one event of the import, and the organization goes live. */
  async finish(manifest: Manifest): Promise<void> {
    await this.ensureOwner()
    const rows = RESOURCE_NAMES.reduce((sum, name) => sum + manifest.counts[name], 0)
    await this.write(async (trx) => {
      await recordAudit(trx, {
        organizationId: this.organizationId,
        action: 'organization.import',
        entity: 'organization',
        entityId: this.organizationId,
        actorId: this.ownerId,
        details: { name: manifest.organization.name, archivedAt: manifest.exportedAt, rows },
      })
      await goLive(trx, this.organizationId)
    })
    // The tables the archive filled, analyzed now rather than whenever autovacuum comes by: a DELETE of the
    // organization straight after its import is planned on them (db/statistics.ts).
    await analyzeTables(
      this.db,
      RESOURCE_NAMES.filter((name) => manifest.counts[name] > 0).map((name) => REGISTRY[name].table),
    )
  }
}
