import { afterAll, beforeAll } from 'vitest'
import { buildTestApp, type TestApp } from './app.js'
import { S3_AVAILABLE, startS3Server, type S3Server } from './s3.js'

// Storage-dependent tests run once per backend: a folder of their own, and a bucket on a real S3-protocol server.

export type Backend = 'file' | 's3'
export const BACKENDS: Backend[] = ['file', 's3']

/** For describe.skipIf: the backend cannot run here (its server is not installed; see s3.ts). */
export const unavailable = (backend: Backend) => backend === 's3' && !S3_AVAILABLE

export interface BackendContext {
  /** Null when the S3 server is not available here (its tests are skipped, loudly). */
  s3: S3Server | null
  /** The environment of a test app on this backend. */
  env(backend: Backend): Promise<Record<string, string>>
  app(backend: Backend, env?: Record<string, string>): Promise<TestApp>
}

/** Starts the S3 server for the file (if installed) and closes every app it built afterwards. */
export function useBackends(): BackendContext {
  const apps: TestApp[] = []
  const context: BackendContext = {
    s3: null,
    async env(backend) {
      if (backend === 'file') return {}
      if (!context.s3) throw new Error('no S3 server')
      return context.s3.bucket()
    },
    async app(backend, env = {}) {
      const app = await buildTestApp({ ...(await context.env(backend)), ...env })
      apps.push(app)
      return app
    },
  }
  beforeAll(async () => {
    if (S3_AVAILABLE) context.s3 = await startS3Server()
  })
  afterAll(async () => {
    for (const app of apps) await app.close()
    await context.s3?.close()
  })
  return context
}
