import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { IdempotencyStore } from '../core/idempotency.js'
import { AppError, ErrorCode } from '../core/errors.js'
import { formDigestOf, formParts } from './multipart.js'

// Idempotency-Key on every write (docs/api.md §14, after the IETF draft and Stripe). Before the handler runs, the key
// is claimed in the database for (caller, key) with a fingerprint of the request; a repeat gets the kept answer,
// 3005 when its fingerprint differs, or 5002 while the first still runs. When the first answers, its status and
// body are kept — unless it failed with a 5xx, which a retry runs again.

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Whose data a kept answer of this route holds, so it goes with it. `organization` (the default): the one the
     * request names (its path, or the app token's); `answer`: the one whose id the answer carries (it created or
     * restored it); `caller`: no organization's — kept past a deletion, so a retried DELETE gets the first
     * answer; `never`: an answer with a secret shown once, which is not kept (a retry runs again).
     */
    idempotency?: 'organization' | 'answer' | 'caller' | 'never'
  }
}

export const IDEMPOTENCY_HEADER = 'idempotency-key'
/** 1–255 printable ASCII characters. */
export const IDEMPOTENCY_KEY_PATTERN = '^[\\x20-\\x7E]{1,255}$'
const KEY = new RegExp(IDEMPOTENCY_KEY_PATTERN)
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

export interface IdempotencyOptions {
  store: IdempotencyStore
  /** Whose keys the request uses, and the organization it names (id or slug); undefined for no caller. */
  callerOf(request: FastifyRequest): { caller: string; organization: string | null } | undefined
}

interface Running {
  id: string
  organizationId: string | null
  /** Null for an upload until its body has been read. */
  bodySha256: string | null
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

/** JSON with every object's keys in order: the same body sent with its fields in another order is the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

const isMultipart = (request: FastifyRequest) =>
  (request.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/')

/** The organization id a created (or restored) organization's answer carries. */
function answeredOrganization(payload: string): string | null {
  try {
    const id = (JSON.parse(payload) as { data?: { id?: unknown } }).data?.id
    return typeof id === 'string' ? id : null
  } catch {
    return null
  }
}

/** Reads a form whole and keeps nothing of it: its fingerprint, as formParts takes it for the route. */
async function drainForm(request: FastifyRequest): Promise<string | undefined> {
  for await (const part of formParts(request)) {
    if (part.type === 'file') for await (const chunk of part.stream) void chunk
  }
  return formDigestOf(request)
}

/** Adds the hooks to `scope`: every write route in it (and its children) honours Idempotency-Key. */
export function honourIdempotencyKeys(scope: FastifyInstance, options: IdempotencyOptions): void {
  const running = new WeakMap<FastifyRequest, Running>()

  const preHandler = async (request: FastifyRequest, reply: FastifyReply) => {
    const key = request.headers[IDEMPOTENCY_HEADER]
    if (key === undefined || !WRITE_METHODS.has(request.method)) return
    if (typeof key !== 'string' || !KEY.test(key))
      throw AppError.validation([
        { path: `/headers/${IDEMPOTENCY_HEADER}`, message: 'must be 1 to 255 printable ASCII characters' },
      ])
    const who = options.callerOf(request)
    if (!who) return
    const multipart = isMultipart(request)
    const targetSha256 = sha256(canonical([request.method, request.routeOptions.url, request.params]))
    const bodySha256 = multipart ? null : sha256(canonical(request.body ?? null))
    const outcome = await options.store.claim({ ...who, key, targetSha256, bodySha256 })
    if (outcome.kind === 'running') throw new AppError(ErrorCode.IdempotencyKeyInProgress)
    if (outcome.kind === 'claimed') {
      running.set(request, { id: outcome.id, organizationId: outcome.organizationId, bodySha256 })
      return
    }
    if (outcome.targetSha256 !== targetSha256) throw new AppError(ErrorCode.IdempotencyKeyReused)
    // An upload's bytes are read to their end and dropped: nothing of a replay is stored.
    const sent = bodySha256 ?? (await drainForm(request))
    if (sent !== outcome.bodySha256) throw new AppError(ErrorCode.IdempotencyKeyReused)
    return reply
      .code(outcome.status)
      .header('idempotent-replayed', 'true')
      .type('application/json; charset=utf-8')
      .send(outcome.body)
  }

  // onSend, not onResponse: the answer is kept before the client has it, so its retry finds it.
  const onSend = async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const claim = running.get(request)
    if (!claim) return payload
    running.delete(request)
    const kept = request.routeOptions.config.idempotency ?? 'organization'
    // An upload refused before its body was read whole has no fingerprint to keep: a retry runs again.
    const bodySha256 = claim.bodySha256 ?? formDigestOf(request)
    try {
      if (reply.statusCode >= 500 || typeof payload !== 'string' || kept === 'never' || !bodySha256)
        await options.store.release(claim.id)
      else
        await options.store.keep(claim.id, {
          status: reply.statusCode,
          body: payload,
          bodySha256,
          organizationId:
            kept === 'caller'
              ? null
              : kept === 'answer'
                ? answeredOrganization(payload)
                : claim.organizationId,
        })
    } catch (error) {
      // The write itself is done: its answer still goes out; the key frees itself when its claim's lease ends.
      request.log.warn({ err: error }, 'the answer to an Idempotency-Key could not be kept')
    }
    return payload
  }

  // Only write routes carry the hooks, first among their own as a scope's hooks would be: a read never runs them.
  scope.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    if (!methods.some((method) => WRITE_METHODS.has(method))) return
    route.preHandler = [preHandler, ...[route.preHandler ?? []].flat()] as typeof route.preHandler
    route.onSend = [onSend, ...[route.onSend ?? []].flat()] as typeof route.onSend
  })
}
