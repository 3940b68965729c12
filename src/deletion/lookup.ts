import { isPostgres, type Db, type Trx } from '../db/connect.js'
import type { Organization } from '../db/types.js'
import type { OrganizationRef } from '../organizations/repository.js'

/** Subscription states that still bill the customer and so block deletion. */
export const BLOCKING_STATUSES = ['active', 'trialing', 'past_due'] as const

/** The live organization, locked against every concurrent write (which takes FOR NO KEY UPDATE first). */
export function lockOrganizationForDeletion(
  trx: Trx,
  ref: OrganizationRef,
): Promise<Organization | undefined> {
  return trx
    .selectFrom('organizations')
    .selectAll()
    .where('status', '=', 'active')
    .where((eb) => ('id' in ref ? eb('id', '=', ref.id) : eb('slug', '=', ref.slug)))
    .$if(isPostgres(trx), (q) => q.forUpdate())
    .executeTakeFirst()
}

export function activeSubscriptions(db: Db, organizationId: string) {
  return db
    .selectFrom('subscriptions')
    .select(['id', 'status'])
    .where('organization_id', '=', organizationId)
    .where('status', 'in', [...BLOCKING_STATUSES])
    .orderBy('created_at')
    .execute()
}
