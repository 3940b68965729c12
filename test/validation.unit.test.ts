import Fastify from 'fastify'
import { Type } from 'typebox'
import { describe, expect, it } from 'vitest'
import { validatorCompiler } from '../src/http/validation.js'

// A body schema that would let unknown fields through stops the app at start-up, so no route can forget
// `additionalProperties: false` (the strict-bodies property test then covers the routes that exist).

async function start(body: object): Promise<void> {
  const app = Fastify({ logger: false })
  app.setValidatorCompiler(validatorCompiler())
  app.post('/x', { schema: { body } }, async () => 'ok')
  try {
    await app.ready()
  } finally {
    await app.close()
  }
}

describe('body schemas', () => {
  it('must refuse unknown fields, at every level', async () => {
    await expect(start(Type.Object({ name: Type.String() }))).rejects.toThrow(
      'The body schema of POST /x lets unknown fields through at /',
    )
    const nested = Type.Object(
      { meta: Type.Optional(Type.Union([Type.Object({ a: Type.String() }), Type.Null()])) },
      { additionalProperties: false },
    )
    await expect(start(nested)).rejects.toThrow('at /meta')
  })

  it('may be closed objects or maps that say which keys they take', async () => {
    await expect(start(Type.Object({ name: Type.String() }, { additionalProperties: false }))).resolves.toBe(
      undefined,
    )
    const map = Type.Object(
      { headers: Type.Record(Type.String(), Type.String()) },
      { additionalProperties: false },
    )
    await expect(start(map)).resolves.toBe(undefined)
  })
})
