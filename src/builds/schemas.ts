import { Type, type TOptional, type TString } from 'typebox'
import { DEPLOYER_INFO_FIELDS, type Deployer, type DeployerInfoField } from '../contract/api.js'
import { AppParams } from '../apps/schemas.js'
import { Paginated, PageQuery } from '../core/pagination-schemas.js'

export { DEPLOYER_INFO_FIELDS, type Deployer, type DeployerInfoField }

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()])

const DeployerSchema = Type.Object({
  name: Nullable(Type.String()),
  info: Type.Object(
    Object.fromEntries(DEPLOYER_INFO_FIELDS.map((field) => [field, Type.Optional(Type.String())])) as Record<
      DeployerInfoField,
      TOptional<TString>
    >,
  ),
})

export const BuildSchema = Type.Object({
  id: Type.String(),
  applicationId: Type.String(),
  fileName: Type.String(),
  contentType: Type.String(),
  size: Type.Integer({ description: 'Bytes' }),
  sha256: Type.String({ description: 'SHA-256 of the bytes, hex; also the download ETag' }),
  versionName: Nullable(Type.String()),
  versionCode: Nullable(Type.String()),
  changelog: Nullable(Type.String()),
  tags: Type.Array(Type.String()),
  deployer: Type.Union([DeployerSchema, Type.Null()], { description: 'The CI that uploaded it, if it said' }),
  uploadedBy: Type.Object({ id: Type.String(), email: Type.String() }),
  createdAt: Type.String(),
})

export const BuildPage = Paginated(BuildSchema)

export const BuildListQuery = Type.Object(PageQuery)

export const BuildParams = Type.Object({
  ...AppParams.properties,
  buildId: Type.String({ pattern: '^[a-fA-F0-9]{24}$', description: 'Build unique identifier' }),
})

/** The text parts of POST …/builds, checked as they arrive (the file part is `file`). */
export const BuildFields = Type.Object(
  {
    versionName: Type.Optional(Type.String({ maxLength: 128, description: 'As people read it: 1.4.0' })),
    versionCode: Type.Optional(Type.String({ maxLength: 64, description: 'As the store counts: 140' })),
    changelog: Type.Optional(Type.String({ maxLength: 10_000, description: 'What changed in this build' })),
  },
  { additionalProperties: false },
)

/** A file part of an upload form, as the OpenAPI document shows it (multipart/form-data, `binary`). */
export const FilePart = (description: string) => Type.String({ format: 'binary', description })

/** POST …/builds as the OpenAPI document shows it: the file part `file` and the text parts of BuildFields. */
export const BuildUploadForm = Type.Object(
  {
    file: FilePart('The build file (.apk, .aab, .ipa, .msix or any other); required'),
    ...BuildFields.properties,
  },
  { additionalProperties: false },
)
