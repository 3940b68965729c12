import type { FastifyPluginAsync } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { answers, conflict, ok, Ok } from '../http/envelope.js'
import { ErrorCode } from '../core/errors.js'
import { getCertificate } from './certificate-service.js'
import { DeletionCertificate, DeletionParams } from './schemas.js'

/** GET /.well-known/jwks.json: the public keys certificates verify with, without auth (docs/api.md §11). */
export const jwksRoutes: FastifyPluginAsync = async (app) => {
  app.get('/.well-known/jwks.json', { schema: { hide: true } }, async (_request, reply) => {
    reply.header('cache-control', 'public, max-age=300')
    return app.proof.keys.jwks()
  })
}

export const certificateRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/deletions/:deletionId/certificate',
    {
      config: {
        errors: [
          answers(ErrorCode.EntityNotFound, 'no such receipt among those you may read'),
          conflict('not_completed'),
        ],
      },
      schema: {
        operationId: 'getDeletionCertificate',
        tags: ['Deletions'],
        summary: 'The signed certificate of a completed deletion',
        description:
          'A JWT signed with EdDSA (Ed25519) that anyone can verify with the keys at /.well-known/jwks.json, and its claims. Before the purge completes: 409/5001 with `data.reason` `not_completed`.',
        params: DeletionParams,
        response: { 200: Ok(DeletionCertificate, 'The certificate, and what it says') },
      },
    },
    async (request) =>
      ok(
        await getCertificate(
          app.db,
          { ...app.proof, storage: app.storage },
          request.auth,
          request.params.deletionId,
          new Date().toISOString(),
        ),
      ),
  )
}
