import type { AuditDetails } from '../contract/audit.js'
import type { Db } from '../db/connect.js'
import { newId, nowIso } from '../db/ids.js'
import type { Platform } from '../db/types.js'
import { AppError } from '../core/errors.js'
import { parseSort, readPage, type PageRequest } from '../core/pagination.js'
import { Permission } from '../core/permissions.js'
import { adjustCounter } from '../organizations/repository.js'
import { accessOrganization } from '../organizations/access.js'
import { changeOrganization } from '../organizations/write.js'
import type { AuthContext } from '../core/auth-context.js'
import {
  countDevices,
  deleteDevice,
  findDevice,
  insertDevice,
  isSerialEnrolled,
  listDevices,
  type DeviceRow,
  type DeviceSortColumn,
} from './repository.js'

function deviceView(row: DeviceRow) {
  return {
    id: row.id,
    platform: row.platform,
    serialNumber: row.serial_number,
    name: row.name,
    state: row.state,
    enrolledAt: row.enrolled_at,
  }
}

const SORTABLE: Record<string, DeviceSortColumn> = {
  enrolledAt: 'enrolled_at',
  serialNumber: 'serial_number',
}

export async function listOrganizationDevices(
  db: Db,
  auth: AuthContext,
  ref: string,
  query: PageRequest & { sort?: string; platform?: Platform; state?: string },
) {
  const sort = parseSort(query.sort, SORTABLE, { column: 'enrolled_at', direction: 'desc' })
  const { org } = await accessOrganization(db, auth, ref, Permission.DeviceList)
  const filter = { organizationId: org.id, platform: query.platform, state: query.state }
  // An organization may hold a million devices: unfiltered, the maintained counter is the total.
  const unfiltered = filter.platform === undefined && filter.state === undefined
  const total = unfiltered ? org.devices_count : countDevices(db, filter)
  return readPage(query, listDevices(db, filter, sort, query), total, deviceView)
}

export async function enrollDevice(
  db: Db,
  auth: AuthContext,
  ref: string,
  input: { platform: Platform; serialNumber: string; name?: string },
) {
  return changeOrganization(db, auth, ref, Permission.DeviceEnroll, async ({ trx, org, audit, emit }) => {
    if (await isSerialEnrolled(trx, org.id, input.serialNumber))
      throw AppError.conflict('serial number is already enrolled')
    const row: DeviceRow = {
      id: newId(),
      platform: input.platform,
      serial_number: input.serialNumber,
      name: input.name ?? '',
      state: 'enrolled',
      enrolled_at: nowIso(),
    }
    await insertDevice(trx, { ...row, organization_id: org.id })
    await adjustCounter(trx, org.id, 'devices_count', 1)
    await audit('device.enroll', 'device', row.id, deviceDetails(row))
    await emit('device.enrolled', { device: deviceView(row) })
    return deviceView(row)
  })
}

/** A device as the audit history names it: its serial number and platform, and its name when it has one. */
function deviceDetails(device: { serial_number: string; platform: string; name: string }): AuditDetails {
  const { serial_number: serialNumber, platform, name } = device
  return name ? { serialNumber, platform, name } : { serialNumber, platform }
}

/** Unenrolling forgets the device: its row is deleted, the audit history keeps the fact. */
export async function unenrollDevice(db: Db, auth: AuthContext, ref: string, deviceId: string) {
  await changeOrganization(db, auth, ref, Permission.DeviceUnenroll, async ({ trx, org, audit, emit }) => {
    const device = await findDevice(trx, org.id, deviceId.toLowerCase())
    if (!device) throw AppError.notFound()
    await deleteDevice(trx, org.id, device.id)
    await adjustCounter(trx, org.id, 'devices_count', -1)
    await audit('device.unenroll', 'device', device.id, deviceDetails(device))
    await emit('device.unenrolled', { device: deviceView(device) })
  })
  return { delete: 'OK' }
}
