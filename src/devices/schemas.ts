import { Type } from 'typebox'
import { Paginated, PageQuery } from '../core/pagination-schemas.js'
import { Name } from '../core/text-schemas.js'
import { OrganizationParams } from '../organizations/schemas.js'

const PlatformSchema = Type.Union([Type.Literal('android'), Type.Literal('apple'), Type.Literal('windows')])

export const DeviceSchema = Type.Object({
  id: Type.String(),
  platform: Type.String(),
  serialNumber: Type.String(),
  name: Type.String(),
  state: Type.String(),
  enrolledAt: Type.String(),
})

export const DevicePage = Paginated(DeviceSchema)

export const DeviceListQuery = Type.Object({
  ...PageQuery,
  platform: Type.Optional(PlatformSchema),
  state: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
})

export const DeviceParams = Type.Object({
  ...OrganizationParams.properties,
  deviceId: Type.String({ pattern: '^[a-fA-F0-9]{24}$' }),
})

export const EnrollDeviceBody = Type.Object(
  {
    platform: PlatformSchema,
    serialNumber: Name({ maxLength: 128, description: 'Unique within the organization' }),
    name: Type.Optional(Name({ maxLength: 128, minLength: 0 })),
  },
  { additionalProperties: false },
)
