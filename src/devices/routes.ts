import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { answers, conflict, DeleteResult, ok, Ok } from '../http/envelope.js'
import { ErrorCode } from '../core/errors.js'
import { Permission } from '../core/permissions.js'
import { OrganizationParams } from '../organizations/schemas.js'
import { DeviceListQuery, DevicePage, DeviceParams, DeviceSchema, EnrollDeviceBody } from './schemas.js'
import { enrollDevice, listOrganizationDevices, unenrollDevice } from './service.js'

const tags = ['Devices']
const base = '/organizations/:organizationId/devices'

export const deviceRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    base,
    {
      config: { permission: Permission.DeviceList },
      schema: {
        operationId: 'listDevices',
        tags,
        summary: 'List device enrollments',
        params: OrganizationParams,
        querystring: DeviceListQuery,
        response: { 200: Ok(DevicePage, "One page of the organization's enrolled devices") },
      },
    },
    async (request) =>
      ok(await listOrganizationDevices(app.db, request.auth, request.params.organizationId, request.query)),
  )

  app.post(
    base,
    {
      config: {
        permission: Permission.DeviceEnroll,
        errors: [conflict('serial number is already enrolled')],
      },
      schema: {
        operationId: 'enrollDevice',
        tags,
        summary: 'Enroll a device',
        params: OrganizationParams,
        body: EnrollDeviceBody,
        response: { 200: Ok(DeviceSchema, 'The enrolled device') },
      },
    },
    async (request) =>
      ok(await enrollDevice(app.db, request.auth, request.params.organizationId, request.body)),
  )

  app.delete(
    `${base}/:deviceId`,
    {
      config: {
        permission: Permission.DeviceUnenroll,
        errors: [answers(ErrorCode.EntityNotFound, 'no such device in the organization')],
      },
      schema: {
        operationId: 'unenrollDevice',
        tags,
        summary: 'Unenroll a device',
        params: DeviceParams,
        response: { 200: Ok(DeleteResult, 'The device is unenrolled', { delete: 'OK' }) },
      },
    },
    async (request) =>
      ok(await unenrollDevice(app.db, request.auth, request.params.organizationId, request.params.deviceId)),
  )
}
