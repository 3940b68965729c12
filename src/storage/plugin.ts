import fp from 'fastify-plugin'
import type { ObjectStorage } from './storage.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Where builds are kept (STORAGE_URL). */
    storage: ObjectStorage
  }
}

/** Makes the object storage available as `app.storage`, and closes it with the app when the app opened it. */
export const storagePlugin = fp<{ storage: ObjectStorage; closeWithApp: boolean }>(
  async (app, { storage, closeWithApp }) => {
    app.decorate('storage', storage)
    if (closeWithApp) app.addHook('onClose', async () => storage.close())
  },
  { name: 'storage' },
)
