import type { Db } from '../db/connect.js'
import { newId, nowIso } from '../db/ids.js'
import type { SubscriptionStatus } from '../db/types.js'
import { AppError } from '../core/errors.js'
import { parseSort, readPage, type PageRequest } from '../core/pagination.js'
import { Permission } from '../core/permissions.js'
import { accessOrganization } from '../organizations/access.js'
import { changeOrganization } from '../organizations/write.js'
import type { AuthContext } from '../core/auth-context.js'
import {
  cancelSubscription,
  countSubscriptions,
  findSubscription,
  insertSubscription,
  listSubscriptions,
  type SubscriptionRow,
  type SubscriptionSortColumn,
} from './repository.js'

function subscriptionView(row: SubscriptionRow) {
  return {
    id: row.id,
    plan: row.plan,
    status: row.status,
    createdAt: row.created_at,
    canceledAt: row.canceled_at,
  }
}

const SORTABLE: Record<string, SubscriptionSortColumn> = {
  createdAt: 'created_at',
  plan: 'plan',
  status: 'status',
}

export async function listOrganizationSubscriptions(
  db: Db,
  auth: AuthContext,
  ref: string,
  query: PageRequest & { sort?: string; status?: SubscriptionStatus },
) {
  const sort = parseSort(query.sort, SORTABLE, { column: 'created_at', direction: 'desc' })
  const { org } = await accessOrganization(db, auth, ref, Permission.BillingList)
  const filter = { organizationId: org.id, status: query.status }
  const rows = listSubscriptions(db, filter, sort, query)
  return readPage(query, rows, countSubscriptions(db, filter), subscriptionView)
}

/**
 * Records a subscription as the billing provider reports it. It goes through the organization's write lock:
 * a concurrent DELETE either runs after it and refuses with 5111, or runs first and this answers 3001.
 */
export async function createSubscription(
  db: Db,
  auth: AuthContext,
  ref: string,
  input: { plan: string; status?: Exclude<SubscriptionStatus, 'canceled'> },
) {
  const row: SubscriptionRow = {
    id: newId(),
    plan: input.plan,
    status: input.status ?? 'active',
    created_at: nowIso(),
    canceled_at: null,
  }
  await changeOrganization(db, auth, ref, Permission.BillingCreate, async ({ trx, org, audit, emit }) => {
    await insertSubscription(trx, { ...row, organization_id: org.id })
    await audit('subscription.create', 'subscription', row.id, { plan: row.plan, status: row.status })
    await emit('subscription.created', { subscription: subscriptionView(row) })
  })
  return subscriptionView(row)
}

export async function cancelSubscriptionById(db: Db, auth: AuthContext, ref: string, subscriptionId: string) {
  return changeOrganization(db, auth, ref, Permission.BillingCancel, async ({ trx, org, audit, emit }) => {
    const row = await findSubscription(trx, org.id, subscriptionId.toLowerCase())
    if (!row) throw AppError.notFound()
    if (row.status === 'canceled') throw AppError.conflict('already canceled')
    const now = nowIso()
    await cancelSubscription(trx, org.id, row.id, now)
    await audit('subscription.cancel', 'subscription', row.id, {
      plan: row.plan,
      changes: { status: { from: row.status, to: 'canceled' } },
    })
    const canceled = { ...row, status: 'canceled' as const, canceled_at: now }
    await emit('subscription.canceled', { subscription: subscriptionView(canceled) })
    return subscriptionView(canceled)
  })
}
