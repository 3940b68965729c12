import type { Static, TSchema } from 'typebox'
import { describe, expect, it } from 'vitest'
import type { AppTokenSchema, NewAppTokenSchema } from '../src/app-tokens/schemas.js'
import type { AppPage, AppSchema } from '../src/apps/schemas.js'
import type { AuditEventSchema, AuditPage } from '../src/audit/schemas.js'
import type { BuildSchema } from '../src/builds/schemas.js'
import type { CollaboratorSchema, ListedCollaboratorSchema } from '../src/collaborators/schemas.js'
import type * as C from '../src/contract/index.js'
import type { DeleteOrganizationResult, DeletionPreview, DeletionReceipt } from '../src/deletion/schemas.js'
import type { DeviceSchema } from '../src/devices/schemas.js'
import type { ExportSchema } from '../src/exports/schemas.js'
import type { DeleteResult } from '../src/http/envelope.js'
import type {
  ActionsResult,
  ChangeOwnerResult,
  CheckSlugResult,
  OrganizationSchema,
} from '../src/organizations/schemas.js'
import type { SubscriptionSchema } from '../src/subscriptions/schemas.js'
import type { NewTokenSchema, TokenSchema } from '../src/tokens/schemas.js'
import type { UserSchema } from '../src/users/schemas.js'
import type { CreatedWebhookSchema, DeliverySchema, WebhookSchema } from '../src/webhooks/schemas.js'

// The contract's answer types (src/contract/api.ts) are plain types, so that web/ can import them without the
// server; the route schemas are what the server answers. This file does not compile (`npm run typecheck`) when
// one of them differs from its schema: a field missing or extra on either side, or of another type.

/** `true` when each is assignable to the other: same fields, same optionality, same value types. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
type Matches<S extends TSchema, T> = Same<Static<S>, T>

const checks = {
  user: true satisfies Matches<typeof UserSchema, C.User>,
  organization: true satisfies Matches<typeof OrganizationSchema, C.Organization>,
  slugCheck: true satisfies Matches<typeof CheckSlugResult, C.SlugCheck>,
  actions: true satisfies Matches<typeof ActionsResult, C.Actions>,
  changeOwner: true satisfies Matches<typeof ChangeOwnerResult, C.ChangeOwnerResult>,
  collaborator: true satisfies Matches<typeof CollaboratorSchema, C.Collaborator>,
  listedCollaborator: true satisfies Matches<typeof ListedCollaboratorSchema, C.ListedCollaborator>,
  app: true satisfies Matches<typeof AppSchema, C.App>,
  appPage: true satisfies Matches<typeof AppPage, C.Page<C.App>>,
  device: true satisfies Matches<typeof DeviceSchema, C.Device>,
  subscription: true satisfies Matches<typeof SubscriptionSchema, C.Subscription>,
  auditEvent: true satisfies Matches<typeof AuditEventSchema, C.AuditEvent>,
  auditPage: true satisfies Matches<typeof AuditPage, C.Page<C.AuditEvent>>,
  build: true satisfies Matches<typeof BuildSchema, C.Build>,
  token: true satisfies Matches<typeof TokenSchema, C.Token>,
  newToken: true satisfies Matches<typeof NewTokenSchema, C.NewToken>,
  appToken: true satisfies Matches<typeof AppTokenSchema, C.AppToken>,
  newAppToken: true satisfies Matches<typeof NewAppTokenSchema, C.NewAppToken>,
  webhook: true satisfies Matches<typeof WebhookSchema, C.Webhook>,
  createdWebhook: true satisfies Matches<typeof CreatedWebhookSchema, C.CreatedWebhook>,
  delivery: true satisfies Matches<typeof DeliverySchema, C.WebhookDelivery>,
  export: true satisfies Matches<typeof ExportSchema, C.Export>,
  deleteResult: true satisfies Matches<typeof DeleteResult, C.DeleteResult>,
  deleteOrganization: true satisfies Matches<typeof DeleteOrganizationResult, C.DeleteOrganizationResult>,
  deletionPreview: true satisfies Matches<typeof DeletionPreview, C.DeletionPreview>,
  deletion: true satisfies Matches<typeof DeletionReceipt, C.Deletion>,
}

describe('the contract types', () => {
  it('are checked against every answer schema the dashboard reads (by the compiler)', () => {
    expect(Object.values(checks).every(Boolean)).toBe(true)
  })
})
