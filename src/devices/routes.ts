import { conflict, DeleteResult, Ok } from '../http/envelope.js'
import { Permission } from '../core/permissions.js'
import { notFound, resourceRoutes } from '../organizations/resource-routes.js'
import { DeviceListQuery, DevicePage, DeviceParams, DeviceSchema, EnrollDeviceBody } from './schemas.js'
import { enrollDevice, listOrganizationDevices, unenrollDevice } from './service.js'

const base = '/organizations/:organizationId/devices'

export const deviceRoutes = resourceRoutes('Devices', (route) => {
  route({
    method: 'GET',
    url: base,
    operationId: 'listDevices',
    summary: 'List device enrollments',
    querystring: DeviceListQuery,
    answer: Ok(DevicePage, "One page of the organization's enrolled devices"),
    permission: Permission.DeviceList,
    handler: ({ db, auth, ref, query }) => listOrganizationDevices(db, auth, ref, query),
  })

  route({
    method: 'POST',
    url: base,
    operationId: 'enrollDevice',
    summary: 'Enroll a device',
    body: EnrollDeviceBody,
    answer: Ok(DeviceSchema, 'The enrolled device'),
    permission: Permission.DeviceEnroll,
    errors: [conflict('serial number is already enrolled')],
    handler: ({ db, auth, ref, body }) => enrollDevice(db, auth, ref, body),
  })

  route({
    method: 'DELETE',
    url: `${base}/:deviceId`,
    operationId: 'unenrollDevice',
    summary: 'Unenroll a device',
    params: DeviceParams,
    answer: Ok(DeleteResult, 'The device is unenrolled', { delete: 'OK' }),
    permission: Permission.DeviceUnenroll,
    errors: [notFound('no such device in the organization')],
    handler: ({ db, auth, ref, params }) => unenrollDevice(db, auth, ref, params.deviceId),
  })
})
