import { Type, type TSchema } from 'typebox'
import { AppError, type FieldError } from '../core/errors.js'
import type { BuildDetails } from '../builds/intake.js'
import type { FormSpec } from '../builds/form.js'
import { DEPLOYER_INFO_FIELDS, FilePart, type Deployer, type DeployerInfoField } from '../builds/schemas.js'

// The form Applivery's own uploaders send to POST /v1/integrations/builds, read as they send it: the fastlane plugin
// spells the deployer's details `deployer[name]` and `deployer[info][commit]`, the Bitrise steps `deployer.name` and
// `deployer.info.commit`. Parts orgspace does not use (`buildPlatform`, `notifyLanguage`, a `simulatorBuild` file,
// code-signing URLs, …) are accepted and dropped, so every version of those uploaders keeps working.

const TEXT_LIMITS: Record<string, number> = {
  versionName: 128,
  changelog: 10_000,
  tags: 1_000,
  filter: 1_000,
  notifyMessage: 2_000,
}
const FLAGS = ['notifyCollaborators', 'notifyEmployees']
const DEPLOYER_LIMIT = 2_048

const TEXT_MEANINGS: Record<string, string> = {
  versionName: 'As people read it: 1.4.0',
  changelog: 'What changed in this build',
  tags: 'Comma-separated: beta,qa',
  filter: "Accepted as Applivery's uploaders send it; not stored",
  notifyMessage: "Accepted as Applivery's uploaders send it; orgspace sends no notification",
}

/**
 * The form as the OpenAPI document shows it: the file part `build` and every text part, the deployer's in the
 * fastlane spelling (the Bitrise spelling, `deployer.name` / `deployer.info.commit`, is read the same).
 */
export const CiUploadForm = Type.Object({
  build: FilePart('The build file (.apk, .aab, .ipa or any other); required'),
  ...Object.fromEntries(
    Object.entries(TEXT_LIMITS).map(([name, limit]) => [
      name,
      Type.Optional(Type.String({ maxLength: limit, description: TEXT_MEANINGS[name] })),
    ]),
  ),
  ...Object.fromEntries(
    FLAGS.map((flag) => [
      flag,
      Type.Optional(
        Type.String({
          enum: ['true', 'false', '1', '0'],
          description:
            "true or false; accepted as Applivery's uploaders send it, orgspace sends no notification",
        }),
      ),
    ]),
  ),
  'deployer[name]': Type.Optional(
    Type.String({
      maxLength: DEPLOYER_LIMIT,
      description: 'The CI: bitrise, fastlane, …; also spelled deployer.name',
    }),
  ),
  ...Object.fromEntries(
    DEPLOYER_INFO_FIELDS.map((field) => [
      `deployer[info][${field}]`,
      Type.Optional(
        Type.String({ maxLength: DEPLOYER_LIMIT, description: `Also spelled deployer.info.${field}` }),
      ),
    ]),
  ),
} satisfies Record<string, TSchema>)

const DEPLOYER_NAME = /^deployer(?:\[name\]|\.name)$/
const DEPLOYER_INFO = /^deployer(?:\[info\]\[(\w+)\]|\.info\.(\w+))$/

function deployerInfoField(name: string): DeployerInfoField | undefined {
  const match = DEPLOYER_INFO.exec(name)
  const field = match?.[1] ?? match?.[2]
  return DEPLOYER_INFO_FIELDS.find((known) => known === field)
}

function check(errors: FieldError[], name: string, value: string, limit: number): void {
  if (value.length > limit)
    errors.push({ path: `/body/${name}`, message: `must be at most ${limit} characters` })
}

function readDeployer(fields: Map<string, string>, errors: FieldError[]): Deployer | null {
  let name: string | null = null
  const info: Deployer['info'] = {}
  for (const [field, value] of fields) {
    if (DEPLOYER_NAME.test(field)) {
      check(errors, field, value, DEPLOYER_LIMIT)
      name = value
      continue
    }
    const key = deployerInfoField(field)
    if (key === undefined) continue
    check(errors, field, value, DEPLOYER_LIMIT)
    info[key] = value
  }
  return name === null && Object.keys(info).length === 0 ? null : { name, info }
}

export const APPLIVERY_FORM: FormSpec<BuildDetails> = {
  fileField: 'build',
  otherFiles: 'drop',
  accept: () => undefined,
  parse(fields) {
    const errors: FieldError[] = []
    for (const [name, limit] of Object.entries(TEXT_LIMITS)) {
      const value = fields.get(name)
      if (value !== undefined) check(errors, name, value, limit)
    }
    for (const flag of FLAGS) {
      const value = fields.get(flag)
      if (value !== undefined && !/^(true|false|1|0)$/i.test(value.trim()))
        errors.push({ path: `/body/${flag}`, message: 'must be true or false' })
    }
    const deployer = readDeployer(fields, errors)
    if (errors.length > 0) throw AppError.validation(errors)
    const tags = (fields.get('tags') ?? '')
      .split(',')
      .map((tag) => tag.trim())
      .filter((tag) => tag !== '')
    return {
      versionName: fields.get('versionName') || undefined,
      changelog: fields.get('changelog') || undefined,
      tags,
      deployer,
    }
  },
}
