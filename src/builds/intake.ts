import { recordAudit } from '../outbox/audit.js'
import type { AuditDetails } from '../contract/audit.js'
import type { Logger } from '../core/logger.js'
import type { FormPart } from '../core/form.js'
import type { Db, Trx } from '../db/connect.js'
import { newId, nowIso } from '../db/ids.js'
import { findApp } from '../apps/repository.js'
import { AppError, ErrorCode } from '../core/errors.js'
import { adjustCounter, lockLiveOrganization } from '../organizations/repository.js'
import { buildKey } from '../storage/keys.js'
import { enqueueRemoval, forgetUpload, settleUpload } from '../storage/removals.js'
import { StorageUnavailable, type ObjectStorage } from '../storage/storage.js'
import type { Deployer } from './schemas.js'
import { receiveForm, type FormSpec, type ReceivedFile } from './form.js'
import { insertBuild, type BuildRow } from './repository.js'

// How a build comes in, for the builds API and the CI integrations alike. The bytes cannot arrive inside a
// transaction (an upload may take minutes), so:
//  1. under the organization's write lock, a build id is chosen and a removal of its key is queued for the
//     upload's deadline — if this process dies mid-upload, the purge worker removes whatever it left;
//  2. the file streams into storage, outside any transaction;
//  3. under the write lock again, the build row is written and the queued removal settled, in one transaction —
//     or, if the organization or app is gone by then (or anything else failed), the upload removes its own object.
// So an upload racing a deletion leaves nothing behind: either its row commits before the DELETE (and the purge
// removes row and object), or its object is removed by the upload itself, or by the worker at the deadline; the
// deleted organization's purge does not complete while such an upload may still write (deletion/objects.ts).

export interface Intake {
  db: Db
  storage: ObjectStorage
  maxBytes: number
  /** How long after it starts an upload can no longer be running (the server's request timeout, and a margin). */
  deadlineMs: number
  log: Pick<Logger, 'warn'>
}

export interface UploadTarget {
  organizationId: string
  appId: string
  buildId: string
  key: string
  /** The queued removal that stands for the upload until it commits. */
  removalId: string
}

/** What the form of an upload says besides the file. */
export interface BuildDetails {
  versionName?: string
  versionCode?: string
  changelog?: string
  tags?: string[]
  deployer?: Deployer | null
}

export interface Uploader {
  userId: string
  appTokenId: string | null
}

/** Step 1; `trx` holds the organization's write lock and the app has been found. */
export async function beginUpload(
  trx: Trx,
  intake: Intake,
  organizationId: string,
  appId: string,
): Promise<UploadTarget> {
  const buildId = newId()
  const key = buildKey(organizationId, appId, buildId)
  const availableAt = new Date(Date.now() + intake.deadlineMs).toISOString()
  const removalId = await enqueueRemoval(trx, { organizationId, kind: 'upload', key, availableAt })
  return { organizationId, appId, buildId, key, removalId }
}

/** Steps 2 and 3: `commit` writes the build under the write lock (with `commitBuild`) and answers. */
export async function finishUpload<F extends BuildDetails, T>(
  intake: Intake,
  target: UploadTarget,
  parts: AsyncIterable<FormPart>,
  form: FormSpec<F>,
  commit: (file: ReceivedFile, details: F) => Promise<T>,
): Promise<T> {
  try {
    const { file, fields } = await receiveForm(parts, intake.storage, target.key, intake.maxBytes, form)
    return await commit(file, fields)
  } catch (error) {
    await discardUpload(intake, target)
    // Storage that failed under an upload because its organization was deleted meanwhile: the answer is the 3001
    // any other write into a deleted organization gets, not a 503.
    if (error instanceof StorageUnavailable && !(await stillThere(intake.db, target)))
      throw AppError.notFound()
    throw error
  }
}

/** Step 3, inside `trx`, which holds the organization's write lock. */
export async function commitBuild(
  trx: Trx,
  target: UploadTarget,
  file: ReceivedFile,
  details: BuildDetails,
  uploader: Uploader,
): Promise<BuildRow> {
  const app = await findApp(trx, target.organizationId, { id: target.appId })
  if (!app) throw AppError.notFound()
  // The worker claims an upload's removal only after its deadline: a build must never point at such an object.
  if (!(await settleUpload(trx, target.organizationId, target.removalId)))
    throw new AppError(ErrorCode.Unavailable, undefined, 'the upload outlived its deadline')
  const row: BuildRow = {
    organization_id: target.organizationId,
    id: target.buildId,
    app_id: target.appId,
    file_name: file.fileName,
    content_type: file.contentType,
    size: file.size,
    sha256: file.sha256,
    version_name: details.versionName ?? null,
    version_code: details.versionCode ?? null,
    changelog: details.changelog ?? null,
    tags: JSON.stringify(details.tags ?? []),
    deployer: details.deployer ? JSON.stringify(details.deployer) : null,
    uploaded_by: uploader.userId,
    app_token_id: uploader.appTokenId,
    created_at: nowIso(),
  }
  await insertBuild(trx, row)
  await adjustCounter(trx, target.organizationId, 'builds_bytes', file.size)
  // Both ways in (the builds API and a CI's app token) record the upload as the member it stands for.
  await recordAudit(trx, {
    organizationId: target.organizationId,
    action: 'build.upload',
    entity: 'build',
    entityId: row.id,
    actorId: uploader.userId,
    details: buildDetails(row, app.name),
  })
  return row
}

/** A build as the audit history names it: its file, its version when given, and its app's name. */
export function buildDetails(
  build: { file_name: string; version_name: string | null },
  appName: string,
): AuditDetails {
  const { file_name: fileName, version_name: version } = build
  return version === null ? { fileName, app: appName } : { fileName, version, app: appName }
}

/** The upload failed: its object goes now. If even that fails, the worker removes it at the deadline. */
async function discardUpload(intake: Intake, target: UploadTarget): Promise<void> {
  try {
    await intake.storage.remove([target.key])
    await forgetUpload(intake.db, target.organizationId, target.removalId)
  } catch (error) {
    intake.log.warn(
      { err: error, key: target.key },
      'a failed upload could not remove its object; the purge worker will at its deadline',
    )
  }
}

async function stillThere(db: Db, target: UploadTarget): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    if (!(await lockLiveOrganization(trx, target.organizationId))) return false
    return (await findApp(trx, target.organizationId, { id: target.appId })) !== undefined
  })
}
