import { Type } from 'typebox'
import { Paginated, PageQuery } from '../core/pagination-schemas.js'
import { OrganizationParams } from '../organizations/schemas.js'
import { SUBSCRIBABLE } from '../outbox/types.js'

const EventList = Type.Array(Type.Enum(['*', ...SUBSCRIBABLE]), {
  minItems: 1,
  maxItems: SUBSCRIBABLE.length,
  uniqueItems: true,
  description:
    'The event types to send, or ["*"] for all. organization.deletion.completed|failed happen after the organization and its endpoints are gone: only the instance endpoint (WEBHOOK_URL) receives them.',
})
const Url = Type.String({
  minLength: 1,
  maxLength: 2048,
  description: 'http:// or https://; not a private, loopback or link-local address',
})
const Description = Type.String({ maxLength: 500 })

export const WebhookSchema = Type.Object({
  id: Type.String(),
  url: Type.String(),
  events: Type.Array(Type.String()),
  description: Type.String(),
  enabled: Type.Boolean(),
  createdAt: Type.String(),
})

export const CreatedWebhookSchema = Type.Object({
  ...WebhookSchema.properties,
  secret: Type.String({
    description: 'whsec_…: verifies the webhook-signature header (Standard Webhooks). Shown this once.',
  }),
})

export const WebhookPage = Paginated(WebhookSchema)

export const DeliverySchema = Type.Object({
  id: Type.String(),
  eventId: Type.String({ description: 'The webhook-id header: the same on every attempt' }),
  eventType: Type.String(),
  attempt: Type.Integer({ description: 'Attempts made so far' }),
  status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
  responseStatus: Type.Union([Type.Integer(), Type.Null()]),
  durationMs: Type.Union([Type.Integer(), Type.Null()]),
  nextAttemptAt: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
})

export const DeliveryPage = Paginated(DeliverySchema)

export const CreateWebhookBody = Type.Object(
  { url: Url, events: EventList, description: Type.Optional(Description) },
  { additionalProperties: false },
)

export const UpdateWebhookBody = Type.Object(
  {
    url: Type.Optional(Url),
    events: Type.Optional(EventList),
    description: Type.Optional(Description),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)

const Id = Type.String({ pattern: '^[a-fA-F0-9]{24}$' })

export const WebhookParams = Type.Object({ ...OrganizationParams.properties, webhookId: Id })
export const DeliveryParams = Type.Object({ ...WebhookParams.properties, deliveryId: Id })
export const WebhookListQuery = Type.Object({ page: PageQuery.page, limit: PageQuery.limit })
