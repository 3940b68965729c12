import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { DeleteResult, ok, Ok, responses } from '../http/envelope.js'
import { OrganizationParams } from '../organizations/schemas.js'
import { DeviceListQuery, DevicePage, DeviceParams, DeviceSchema, EnrollDeviceBody } from './schemas.js'
import { enrollDevice, listOrganizationDevices, unenrollDevice } from './service.js'

const tags = ['Devices']
const base = '/organizations/:organizationId/devices'

export const deviceRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    base,
    {
      schema: {
        tags,
        summary: 'List device enrollments',
        params: OrganizationParams,
        querystring: DeviceListQuery,
        response: responses({ 200: Ok(DevicePage) }),
      },
    },
    async (request) =>
      ok(await listOrganizationDevices(app.db, request.auth, request.params.organizationId, request.query)),
  )

  app.post(
    base,
    {
      schema: {
        tags,
        summary: 'Enroll a device',
        params: OrganizationParams,
        body: EnrollDeviceBody,
        response: responses({ 200: Ok(DeviceSchema) }),
      },
    },
    async (request) =>
      ok(await enrollDevice(app.db, request.auth, request.params.organizationId, request.body)),
  )

  app.delete(
    `${base}/:deviceId`,
    {
      schema: {
        tags,
        summary: 'Unenroll a device',
        params: DeviceParams,
        response: responses({ 200: Ok(DeleteResult) }),
      },
    },
    async (request) =>
      ok(await unenrollDevice(app.db, request.auth, request.params.organizationId, request.params.deviceId)),
  )
}
