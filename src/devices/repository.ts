import type { Db, Trx } from '../db/connect.js'
import type { DevicesTable, Platform } from '../db/types.js'
import type { PageRequest, Sort } from '../core/pagination.js'
import { countRows, exists, onPage } from '../db/query.js'

export type DeviceSortColumn = 'enrolled_at' | 'serial_number'

export interface DeviceFilter {
  organizationId: string
  platform?: Platform
  state?: string
}

const COLUMNS = ['id', 'platform', 'serial_number', 'name', 'state', 'enrolled_at'] as const

function devicesQuery(db: Db, filter: DeviceFilter) {
  return db
    .selectFrom('devices')
    .where('organization_id', '=', filter.organizationId)
    .$if(filter.platform !== undefined, (q) => q.where('platform', '=', filter.platform ?? 'android'))
    .$if(filter.state !== undefined, (q) => q.where('state', '=', filter.state ?? ''))
}

/**
 * One page of an organization's devices. Both orders walk an index of the migration from the organization's
 * first entry (`devices_org_enrolled_idx`, `devices_org_serial_unique`), so the first pages cost the same with
 * a million devices as with ten. Enrollment times can tie; the id breaks ties so pages never overlap.
 */
export function listDevicesQuery(
  db: Db,
  filter: DeviceFilter,
  sort: Sort<DeviceSortColumn>,
  page: PageRequest,
) {
  const ordered = devicesQuery(db, filter).select(COLUMNS).orderBy(sort.column, sort.direction)
  return onPage(
    ordered.$if(sort.column === 'enrolled_at', (q) => q.orderBy('id', sort.direction)),
    page,
  )
}

export type DeviceRow = Pick<DevicesTable, (typeof COLUMNS)[number]>

export function listDevices(...args: Parameters<typeof listDevicesQuery>): Promise<DeviceRow[]> {
  return listDevicesQuery(...args).execute()
}

export async function countDevices(db: Db, filter: DeviceFilter): Promise<number> {
  return countRows(devicesQuery(db, filter))
}

export function findDevice(db: Db, organizationId: string, deviceId: string): Promise<DeviceRow | undefined> {
  return devicesQuery(db, { organizationId }).select(COLUMNS).where('id', '=', deviceId).executeTakeFirst()
}

export function isSerialEnrolled(db: Db, organizationId: string, serialNumber: string): Promise<boolean> {
  return exists(devicesQuery(db, { organizationId }).select('id').where('serial_number', '=', serialNumber))
}

export async function insertDevice(trx: Trx, row: DevicesTable): Promise<void> {
  await trx.insertInto('devices').values(row).execute()
}

export async function deleteDevice(trx: Trx, organizationId: string, id: string): Promise<void> {
  await trx.deleteFrom('devices').where('organization_id', '=', organizationId).where('id', '=', id).execute()
}
