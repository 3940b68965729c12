import fp from 'fastify-plugin'
import type { Keyring } from './keyring.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Every organization's data key (docs/api.md §13). */
    keyring: Keyring
  }
}

export const keyringPlugin = fp<{ keyring: Keyring }>(
  async (app, { keyring }) => {
    app.decorate('keyring', keyring)
  },
  { name: 'keyring' },
)
