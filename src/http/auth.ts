import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { authenticate, type AuthContext } from '../tokens/service.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller; set by `requireAuth` on every authenticated route. */
    auth: AuthContext
  }
}

/**
 * Adds the `requireAuth` onRequest hook. It runs before body parsing and validation, so the check order of
 * the contract holds: 4002/4004/4005 come before 3000.
 */
export const authPlugin = fp(
  async (app) => {
    app.decorateRequest('auth', null as unknown as AuthContext)
    app.decorate('requireAuth', async (request: FastifyRequest, _reply: FastifyReply) => {
      request.auth = await authenticate(app.db, request.headers.authorization)
    })
  },
  { name: 'auth', dependencies: ['database'] },
)

declare module 'fastify' {
  interface FastifyInstance {
    requireAuth: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
  }
}
