import type { Db } from '../db/connect.js'

/** Subscription states that still bill the customer and so block deletion. */
export const BLOCKING_STATUSES = ['active', 'trialing', 'past_due'] as const

export function activeSubscriptions(db: Db, organizationId: string) {
  return db
    .selectFrom('subscriptions')
    .select(['id', 'status'])
    .where('organization_id', '=', organizationId)
    .where('status', 'in', [...BLOCKING_STATUSES])
    .orderBy('created_at')
    .execute()
}
