import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import type { RouteOptions } from 'fastify'
import { Type, type TSchema } from 'typebox'
import { ErrorEnvelope, responses, type DeclaredError, type RouteShape } from './envelope.js'
import { IDEMPOTENCY_HEADER, IDEMPOTENCY_KEY_PATTERN } from './idempotency.js'
import { ERRORS_INTRO, errorTableMarkdown } from './error-table.js'
import type { FieldError } from '../core/errors.js'
import type { Role } from '../db/types.js'
import { can, type Permission } from '../core/permissions.js'
import { VERSION } from '../root.js'

// The OpenAPI document (served at /v1/openapi.json, rendered at /docs). Routes declare what is theirs —
// operationId, summary, input schemas, the 2xx answer, and in `config` the permission they check and their
// business errors — and the hook below adds, for every route, the error answers that follow from its shape.

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The permission the route's service checks: documented, with the 4003 it brings. */
    permission?: Permission
    /** Errors the route answers beyond those its shape implies (5001, 5111, …). */
    errors?: readonly DeclaredError[]
    /**
     * The multipart form of an upload, for the document only: the route reads its body itself (it is streamed),
     * so it declares no `body` schema for Fastify to validate.
     */
    form?: TSchema
  }
}

const SECURITY = [{ bearer: [] }]

const ROLES: readonly Role[] = ['owner', 'admin', 'editor', 'viewer']

const DESCRIPTION = `orgspace keeps organization workspaces for multi-tenant products: collaborators with roles, apps,
device enrollments, subscriptions and audit history — and deletes a whole workspace permanently, completely and
safely when asked.

Every route is under \`/v1\` and answers JSON in one envelope: \`{"status": true, "data": …}\` on success,
\`{"status": false, "error": {"code": N, "message": "…", "data"?: …}}\` on failure.

## Getting a token

Every \`/v1\` route needs an API token. On the server (or anywhere with the same \`DATABASE_URL\`), create a user;
the command prints only a new token:

\`\`\`sh
npx orgspace user create --email you@example.com --name "Your Name"
\`\`\`

Send it on every request:

\`\`\`http
Authorization: Bearer osk_…
\`\`\`

For example \`curl -H "Authorization: Bearer $TOKEN" http://localhost:8080/v1/users/me\`. With it you can create
more tokens (\`POST /v1/users/me/tokens\`, with an expiry or scoped to one organization) and revoke them. Tokens are
stored hashed, so a token is shown once, when it is created.

## Retrying writes

Every \`POST\`, \`PUT\`, \`PATCH\` and \`DELETE\` takes an \`Idempotency-Key\` header (1–255 printable ASCII characters,
a new one per request, such as a UUID). Retried with the same key and the same request, the write runs once: the
retry gets the first answer again, with \`Idempotent-Replayed: true\`. The same key with another request answers
422 / 3005; a retry while the first is still running, 409 / 5002 (retry later). Answers of 500 and more are not
kept, so their retries run again.

## Errors

${ERRORS_INTRO} Each operation lists the codes it can answer, with an example body for each.

${errorTableMarkdown()}
`

const TAGS = [
  { name: 'Organization', description: 'Workspaces: create, read, change, hand over and delete.' },
  { name: 'Collaborators', description: 'Who belongs to an organization, and with which role.' },
  { name: 'Apps', description: "The organization's applications." },
  {
    name: 'Builds',
    description: "An application's builds: the binaries it distributes, kept in object storage.",
  },
  { name: 'App tokens', description: "Tokens that let CI upload an application's builds, and nothing else." },
  {
    name: 'Integrations',
    description: "Applivery's CI upload API (fastlane, Gradle, Bitrise), authenticated by an app token.",
  },
  { name: 'Devices', description: 'Device enrollments.' },
  { name: 'Subscriptions', description: "The organization's plans; an active one blocks deletion." },
  {
    name: 'Exports',
    description:
      'The whole workspace as one verifiable .tar.gz archive, written in the background (docs/export-format.md).',
  },
  { name: 'Audit', description: 'Every change made to an organization, newest first.' },
  {
    name: 'Webhooks',
    description:
      "The organization's webhook endpoints: signed events (Standard Webhooks) and their delivery log.",
  },
  {
    name: 'Deletions',
    description: 'Receipts of deleted organizations: who, when, what, and whether the purge is done.',
  },
  { name: 'Users', description: 'The calling user and their API tokens.' },
]

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

interface ObjectSchema {
  properties?: Record<string, { type?: unknown; pattern?: unknown }>
  required?: string[]
}

interface OperationSchema {
  hide?: boolean
  description?: string
  security?: unknown[]
  params?: ObjectSchema
  querystring?: ObjectSchema
  body?: ObjectSchema
  headers?: unknown
  consumes?: string[]
  response?: Record<string, unknown>
  'x-permission'?: Permission
}

const KEPT_ANSWER: Record<string, string> = {
  caller:
    " The answer is kept past the organization's deletion: a retry after the purge gets the same answer.",
  never: ' This answer holds a secret shown once, so it is not kept: a retry with the key runs again.',
}

/** The Idempotency-Key header every write under /v1 accepts (docs/api.md §14); validated as the route's input. */
function idempotencyHeaders(kept: string | undefined) {
  return Type.Object({
    [IDEMPOTENCY_HEADER]: Type.Optional(
      Type.String({
        pattern: IDEMPOTENCY_KEY_PATTERN,
        description: `1–255 printable ASCII characters, unique per request (a UUID). Makes the write safe to retry: the first answer under 500 is kept for IDEMPOTENCY_TTL_SECONDS (a day by default) per caller and key, and a repeat of the same request gets it again, with \`Idempotent-Replayed: true\`, and runs nothing. The key with another method, path or body: 422 / 3005; while the first is still running: 409 / 5002. A 5xx is not kept.${KEPT_ANSWER[kept ?? ''] ?? ''}`,
      }),
    ),
  })
}

/** A field error as AJV would report it for this route, for the 3000 example. */
function exampleFieldError(schema: OperationSchema, readsBody: boolean): FieldError | undefined {
  const required = schema.body?.required?.[0]
  if (required) return { path: `/body/${required}`, message: `must have required property '${required}'` }
  for (const [location, part] of [
    ['params', schema.params],
    ['querystring', schema.querystring],
    ['body', schema.body],
  ] as const) {
    const [name, property] = Object.entries(part?.properties ?? {})[0] ?? []
    if (name === undefined || property === undefined) continue
    const pattern = property.pattern
    const message =
      typeof pattern === 'string' ? `must match pattern "${pattern}"` : `must be ${String(property.type)}`
    return { path: `/${location}/${name}`, message }
  }
  return readsBody ? { path: '/body', message: 'must be valid JSON' } : undefined
}

/**
 * onRoute hook: completes a documented route's responses with every error it can answer, and states the
 * permission it needs. What a route declares is in its schema and `config`; the rest follows from its shape.
 */
function documentRoute(route: RouteOptions): void {
  const schema = route.schema as OperationSchema | undefined
  const methods = [route.method].flat()
  if (!schema || schema.hide || methods.includes('HEAD')) return
  const readsBody = methods.some((m) => BODY_METHODS.has(m))
  const { permission, errors, idempotency } = route.config ?? {}
  const idempotent = readsBody && route.url.startsWith('/v1/')
  if (idempotent) schema.headers ??= idempotencyHeaders(idempotency)
  const shape: RouteShape = {
    authenticated: (schema.security ?? SECURITY).length > 0,
    validated: exampleFieldError(schema, readsBody),
    readsBody,
    consumes: schema.consumes,
    organization: schema.params?.properties?.organizationId !== undefined,
    // 4003 only where some role lacks the permission: reads every member may do never answer it.
    permission: permission && ROLES.some((role) => !can(role, permission)) ? permission : undefined,
    idempotent,
    errors,
  }
  schema.response = { ...responses(shape), ...schema.response }
  if (permission && schema['x-permission'] === undefined) {
    schema['x-permission'] = permission
    schema.description = [`Required Permission: ${permission}`, schema.description]
      .filter(Boolean)
      .join('\n\n')
  }
}

/** The document's frame, the shared error envelope, and the hook above; register before any route. */
export const openApiPlugin = fp(
  async (app) => {
    app.addSchema(ErrorEnvelope)
    app.addHook('onRoute', documentRoute)
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'orgspace',
          version: VERSION,
          description: DESCRIPTION,
          license: { name: 'MIT', identifier: 'MIT' },
        },
        servers: [{ url: '/', description: 'This orgspace server' }],
        tags: TAGS,
        components: {
          securitySchemes: {
            bearer: {
              type: 'http',
              scheme: 'bearer',
              description:
                'An API token: `npx orgspace user create --email …` prints one (see Getting a token).',
            },
            appToken: {
              type: 'http',
              scheme: 'bearer',
              description:
                "An app token (`osa_…`), for CI uploads only: POST /v1/organizations/{organizationId}/apps/{applicationId}/tokens creates one. The scheme's name may be in any case (`bearer`).",
            },
          },
        },
        security: SECURITY,
      },
      // An upload's form is its request body in the document (under its `consumes`, multipart/form-data).
      transform: ({ schema, url, route }) => ({
        schema: route.config?.form ? { ...schema, body: route.config.form } : schema,
        url,
      }),
      // Shared schemas keep their own name in the document (`#/components/schemas/ErrorEnvelope`).
      refResolver: {
        buildLocalReference: (json, _baseUri, _fragment, i) =>
          typeof json.$id === 'string' ? json.$id : `def-${i}`,
      },
    })
  },
  { name: 'openapi' },
)
