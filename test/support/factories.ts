import { expect } from 'vitest'
import { randomBytes } from 'node:crypto'
import type { TestApp } from './app.js'
import { createToken } from '../../src/tokens/service.js'
import { findOrCreateUser } from '../../src/users/service.js'

// Every test makes its own users and organizations, so test files and cases never share state.

export interface TestUser {
  id: string
  email: string
  token: string
}

export interface Reply<T = any> {
  status: number
  body: T
  headers: Record<string, string | string[] | number | undefined>
}

const unique = () => randomBytes(4).toString('hex')

export async function createUser(t: TestApp, label = 'user'): Promise<TestUser> {
  const { user } = await findOrCreateUser(t.db, `${label}-${unique()}@example.test`, label)
  const { token } = await createToken(t.db, user.id, { name: 'test' })
  return { id: user.id, email: user.email, token }
}

/** Sends a request as `token` (or anonymously with null) and returns status and parsed body. */
export async function call<T = any>(
  t: TestApp,
  token: string | null,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH',
  url: string,
  body?: unknown,
): Promise<Reply<T>> {
  const response = await t.app.inject({
    method,
    url,
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
    ...(body === undefined ? {} : { payload: body as object }),
  })
  const text = response.body
  return {
    status: response.statusCode,
    body: text === '' ? undefined : JSON.parse(text),
    headers: response.headers,
  }
}

export function as(t: TestApp, user: TestUser | string | null) {
  const token = user === null ? null : typeof user === 'string' ? user : user.token
  return {
    get: <T = any>(url: string) => call<T>(t, token, 'GET', url),
    post: <T = any>(url: string, body: unknown = {}) => call<T>(t, token, 'POST', url, body),
    put: <T = any>(url: string, body: unknown = {}) => call<T>(t, token, 'PUT', url, body),
    delete: <T = any>(url: string) => call<T>(t, token, 'DELETE', url),
  }
}

export interface TestOrg {
  id: string
  slug: string
  name: string
}

export async function createOrg(
  t: TestApp,
  owner: TestUser,
  body: Record<string, unknown> = {},
): Promise<TestOrg> {
  const name = (body.name as string | undefined) ?? `Org ${unique()}`
  const reply = await as(t, owner).post('/v1/organizations', { name, ...body })
  if (reply.status !== 200) throw new Error(`createOrg failed: ${reply.status} ${JSON.stringify(reply.body)}`)
  return reply.body.data
}

/** Adds a new user to `org` with `role` and returns that user. */
export async function addMember(
  t: TestApp,
  owner: TestUser,
  org: TestOrg,
  role: 'admin' | 'editor' | 'viewer',
): Promise<TestUser & { collaboratorId: string }> {
  const member = await createUser(t, role)
  const reply = await as(t, owner).post(`/v1/organizations/${org.id}/collaborators`, {
    email: member.email,
    role,
  })
  if (reply.status !== 200) throw new Error(`addMember failed: ${reply.status} ${JSON.stringify(reply.body)}`)
  return { ...member, collaboratorId: reply.body.data.id }
}

export async function ownerWithOrg(t: TestApp): Promise<{ owner: TestUser; org: TestOrg }> {
  const owner = await createUser(t, 'owner')
  return { owner, org: await createOrg(t, owner) }
}

/** The organization entity's counts, as `user` sees them. */
export async function countsOf(t: TestApp, user: TestUser, org: TestOrg) {
  return (await as(t, user).get(`/v1/organizations/${org.id}`)).body.data.counts
}

/** A 400 / 3000 answer naming `path` among its field errors. */
export function expectValidation(reply: { status: number; body: any }, path: string) {
  expect(reply.status, JSON.stringify(reply.body)).toBe(400)
  expect(reply.body.error.code).toBe(3000)
  expect(reply.body.error.data.errors.map((e: { path: string }) => e.path)).toContain(path)
}

/** The exports of an organization (docs/api.md §10). */
export const exportsOf = (org: { id: string }) => `/v1/organizations/${org.id}/exports`
