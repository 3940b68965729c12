import type { Db, Trx } from '../db/connect.js'
import type { SubscriptionStatus, SubscriptionsTable } from '../db/types.js'
import type { PageRequest, Sort } from '../core/pagination.js'
import { countRows, onPage } from '../db/query.js'

export type SubscriptionSortColumn = 'created_at' | 'plan' | 'status'

export interface SubscriptionFilter {
  organizationId: string
  status?: SubscriptionStatus
}

const COLUMNS = ['id', 'plan', 'status', 'created_at', 'canceled_at'] as const

export type SubscriptionRow = Pick<SubscriptionsTable, (typeof COLUMNS)[number]>

function subscriptionsQuery(db: Db, filter: SubscriptionFilter) {
  return db
    .selectFrom('subscriptions')
    .where('organization_id', '=', filter.organizationId)
    .$if(filter.status !== undefined, (q) => q.where('status', '=', filter.status ?? 'active'))
}

export function listSubscriptions(
  db: Db,
  filter: SubscriptionFilter,
  sort: Sort<SubscriptionSortColumn>,
  page: PageRequest,
): Promise<SubscriptionRow[]> {
  const ordered = subscriptionsQuery(db, filter).select(COLUMNS).orderBy(sort.column, sort.direction)
  return onPage(ordered.orderBy('id', sort.direction), page).execute()
}

export async function countSubscriptions(db: Db, filter: SubscriptionFilter): Promise<number> {
  return countRows(subscriptionsQuery(db, filter))
}

export function findSubscription(
  db: Db,
  organizationId: string,
  subscriptionId: string,
): Promise<SubscriptionRow | undefined> {
  return subscriptionsQuery(db, { organizationId })
    .select(COLUMNS)
    .where('id', '=', subscriptionId)
    .executeTakeFirst()
}

/** Subscription states that still bill the customer and so block deletion. */
const BLOCKING_STATUSES = ['active', 'trialing', 'past_due'] as const

/** The organization's subscriptions that block its deletion, oldest first. */
export function blockingSubscriptions(db: Db, organizationId: string) {
  return db
    .selectFrom('subscriptions')
    .select(['id', 'status'])
    .where('organization_id', '=', organizationId)
    .where('status', 'in', [...BLOCKING_STATUSES])
    .orderBy('created_at')
    .execute()
}

export async function insertSubscription(trx: Trx, row: SubscriptionsTable): Promise<void> {
  await trx.insertInto('subscriptions').values(row).execute()
}

export async function cancelSubscription(
  trx: Trx,
  organizationId: string,
  id: string,
  now: string,
): Promise<void> {
  await trx
    .updateTable('subscriptions')
    .set({ status: 'canceled', canceled_at: now })
    .where('organization_id', '=', organizationId)
    .where('id', '=', id)
    .execute()
}
