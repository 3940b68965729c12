import type { Db } from '../db/connect.js'
import { existingApp } from '../apps/service.js'
import { AppError } from '../core/errors.js'
import { parseSort, readPage, type PageRequest } from '../core/pagination.js'
import { Permission } from '../core/permissions.js'
import { accessOrganization } from '../organizations/access.js'
import { adjustCounter } from '../organizations/repository.js'
import { changeOrganization } from '../organizations/write.js'
import { buildKey } from '../storage/keys.js'
import { enqueueRemoval } from '../storage/removals.js'
import type { AuthContext } from '../core/auth-context.js'
import type { FormPart } from '../core/form.js'
import type { FormSpec } from './form.js'
import {
  beginUpload,
  buildDetails,
  commitBuild,
  finishUpload,
  type BuildDetails,
  type Intake,
} from './intake.js'
import {
  countBuilds,
  deleteBuild,
  findBuild,
  listBuilds,
  type BuildRow,
  type BuildSortColumn,
  type BuildWithUploader,
} from './repository.js'
import { BuildFields, type Deployer } from './schemas.js'

/** A build as the API shows it (and, with its uploader by email, as an export archive keeps it). */
export function buildView(row: Omit<BuildWithUploader, 'organization_id' | 'app_token_id'>) {
  return {
    id: row.id,
    applicationId: row.app_id,
    fileName: row.file_name,
    contentType: row.content_type,
    size: Number(row.size),
    sha256: row.sha256,
    versionName: row.version_name,
    versionCode: row.version_code,
    changelog: row.changelog,
    tags: JSON.parse(row.tags) as string[],
    deployer: row.deployer === null ? null : (JSON.parse(row.deployer) as Deployer),
    uploadedBy: { id: row.uploaded_by, email: row.uploader_email },
    createdAt: row.created_at,
  }
}

const SORTABLE: Record<string, BuildSortColumn> = {
  createdAt: 'created_at',
  size: 'size',
  fileName: 'file_name',
}

/** An app's builds, newest first; `sort` over createdAt, size or fileName. */
export async function listBuildsOf(
  db: Db,
  organizationId: string,
  appId: string,
  query: PageRequest & { sort?: string },
) {
  const sort = parseSort(query.sort, SORTABLE, { column: 'created_at', direction: 'desc' })
  const rows = listBuilds(db, organizationId, appId, sort, query)
  return readPage(query, rows, countBuilds(db, organizationId, appId), buildView)
}

export async function listAppBuilds(
  db: Db,
  auth: AuthContext,
  ref: string,
  appRef: string,
  query: PageRequest & { sort?: string },
) {
  const { org } = await accessOrganization(db, auth, ref, Permission.BuildList)
  const app = await existingApp(db, org.id, appRef)
  return listBuildsOf(db, org.id, app.id, query)
}

/** The build named by the path, after the membership and permission checks; 3001 when there is none. */
export async function findVisibleBuild(
  db: Db,
  auth: AuthContext,
  ref: string,
  appRef: string,
  buildId: string,
): Promise<BuildWithUploader> {
  const { org } = await accessOrganization(db, auth, ref, Permission.BuildGet)
  const app = await existingApp(db, org.id, appRef)
  const build = await findBuild(db, org.id, app.id, buildId.toLowerCase())
  if (!build) throw AppError.notFound()
  return build
}

export async function getBuild(db: Db, auth: AuthContext, ref: string, appRef: string, buildId: string) {
  return buildView(await findVisibleBuild(db, auth, ref, appRef, buildId))
}

/** The row goes now; its object leaves storage through the removal queue, written in the same transaction. */
export async function removeBuild(db: Db, auth: AuthContext, ref: string, appRef: string, buildId: string) {
  await changeOrganization(db, auth, ref, Permission.BuildRemove, async ({ trx, org, audit, emit }) => {
    const app = await existingApp(trx, org.id, appRef)
    const build = await findBuild(trx, org.id, app.id, buildId.toLowerCase())
    if (!build) throw AppError.notFound()
    await deleteBuild(trx, org.id, build.id)
    await enqueueRemoval(trx, {
      organizationId: org.id,
      kind: 'object',
      key: buildKey(org.id, app.id, build.id),
    })
    await adjustCounter(trx, org.id, 'builds_bytes', -Number(build.size))
    await audit('build.remove', 'build', build.id, buildDetails(build, app.name))
    await emit('build.deleted', { build: { id: build.id, applicationId: app.id } })
  })
  return { delete: 'OK' }
}

/**
 * The builds API's form: part `file`, and the text fields of BuildFields, checked by `validate` (the same rules as
 * a JSON body's, handed in by the route); anything else is refused.
 */
export function buildForm(validate: (body: Record<string, string>) => BuildDetails): FormSpec<BuildDetails> {
  return {
    fileField: 'file',
    otherFiles: 'refuse',
    accept(name) {
      if (!Object.hasOwn(BuildFields.properties, name))
        throw AppError.validation([{ path: `/body/${name}`, message: 'is not a known field' }])
    },
    parse: (fields) => validate(Object.fromEntries(fields)),
  }
}

/** POST …/apps/:applicationId/builds by a member (owner, admin, editor). */
export async function uploadBuild(
  intake: Intake,
  auth: AuthContext,
  ref: string,
  appRef: string,
  parts: AsyncIterable<FormPart>,
  form: FormSpec<BuildDetails>,
) {
  const target = await changeOrganization(
    intake.db,
    auth,
    ref,
    Permission.BuildUpload,
    async ({ trx, org }) => beginUpload(trx, intake, org.id, (await existingApp(trx, org.id, appRef)).id),
  )
  const row: BuildRow = await finishUpload(intake, target, parts, form, (file, details) =>
    changeOrganization(
      intake.db,
      auth,
      target.organizationId,
      Permission.BuildUpload,
      async ({ trx, emit }) => {
        const build = await commitBuild(trx, target, file, details, { userId: auth.userId, appTokenId: null })
        await emit('build.uploaded', { build: buildView({ ...build, uploader_email: auth.email }) })
        return build
      },
    ),
  )
  return buildView({ ...row, uploader_email: auth.email })
}
