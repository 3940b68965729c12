import type { Db } from '../db/connect.js'
import { emitEvent } from '../outbox/emit.js'
import { requireAppToken, type AppTokenAuth } from '../app-tokens/service.js'
import { beginUpload, commitBuild, finishUpload, type Intake } from '../builds/intake.js'
import { buildView, listBuildsOf } from '../builds/service.js'
import type { FormPart } from '../core/form.js'
import type { PageRequest } from '../core/pagination.js'
import { writeInOrganization } from '../organizations/write.js'
import { APPLIVERY_FORM } from './form.js'

/**
 * POST /v1/integrations/builds: a CI uploads a build of the app its token belongs to. The same intake as the
 * builds API (builds/intake.ts); the token stands for the member who created it, and must still exist when the
 * build commits.
 */
export async function uploadFromCi(intake: Intake, token: AppTokenAuth, parts: AsyncIterable<FormPart>) {
  const { organizationId, appId } = token
  const target = await writeInOrganization(intake.db, organizationId, async (trx) => {
    await requireAppToken(trx, token)
    return beginUpload(trx, intake, organizationId, appId)
  })
  const row = await finishUpload(intake, target, parts, APPLIVERY_FORM, (file, details) =>
    writeInOrganization(intake.db, organizationId, async (trx, organization) => {
      await requireAppToken(trx, token)
      const uploader = { userId: token.createdBy.id, appTokenId: token.tokenId }
      const build = await commitBuild(trx, target, file, details, uploader)
      await emitEvent(trx, {
        type: 'build.uploaded',
        organization,
        actor: token.createdBy,
        data: { build: buildView({ ...build, uploader_email: token.createdBy.email }) },
      })
      return build
    }),
  )
  return buildView({ ...row, uploader_email: token.createdBy.email })
}

/** GET /v1/integrations/builds: the builds of the token's app. */
export function listFromCi(db: Db, token: AppTokenAuth, query: PageRequest & { sort?: string }) {
  return listBuildsOf(db, token.organizationId, token.appId, query)
}
