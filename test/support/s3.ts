import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3'

// A real S3-protocol server for the tests: s3rver (a dev dependency), listening on 127.0.0.1, started and stopped
// by the test file that needs it. Without it the S3 half of those files is skipped loudly — and fails in CI.

export interface S3Server {
  endpoint: string
  /** A fresh bucket, and the environment that points orgspace (or a child process) at it. */
  bucket(): Promise<Record<string, string>>
  /** Stops answering (connections refused) until `start` again, on the same port and data. */
  stop(): Promise<void>
  start(): Promise<void>
  close(): Promise<void>
}

const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' }

function installed(): boolean {
  try {
    createRequire(import.meta.url).resolve('s3rver')
    return true
  } catch {
    return false
  }
}

/** Whether the S3 tests can run here; says so loudly when not (and refuses in CI). */
export const S3_AVAILABLE = installed()
if (!S3_AVAILABLE) {
  const message = 's3rver is not installed: the S3 storage tests are SKIPPED'
  if (process.env.CI === 'true') throw new Error(`${message} — refusing to pass in CI`)
  console.warn(`\n${'!'.repeat(message.length)}\n${message}\n${'!'.repeat(message.length)}\n`)
}

/** Starts the S3 server (call only when S3_AVAILABLE). */
export async function startS3Server(): Promise<S3Server> {
  const { default: S3rver } = await import('s3rver')
  // The SDK reads credentials from the environment, as in production; s3rver accepts these.
  Object.assign(process.env, CREDENTIALS, { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' })
  const directory = mkdtempSync(join(tmpdir(), 'orgspace-s3-'))
  const open = (port: number) => new S3rver({ address: '127.0.0.1', port, silent: true, directory })
  let server = open(0)
  const { port } = await server.run()
  const endpoint = `http://127.0.0.1:${port}`
  let running = true
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: {
      accessKeyId: CREDENTIALS.AWS_ACCESS_KEY_ID,
      secretAccessKey: CREDENTIALS.AWS_SECRET_ACCESS_KEY,
    },
  })
  return {
    endpoint,
    async bucket() {
      const name = `orgspace-${randomBytes(4).toString('hex')}`
      await client.send(new CreateBucketCommand({ Bucket: name }))
      return {
        ...CREDENTIALS,
        STORAGE_URL: `s3://${name}/builds`,
        S3_ENDPOINT: endpoint,
        S3_REGION: 'us-east-1',
        S3_FORCE_PATH_STYLE: 'true',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      }
    },
    async stop() {
      if (running) await server.close()
      running = false
    },
    async start() {
      if (running) return
      server = open(port)
      await server.run()
      running = true
    },
    async close() {
      client.destroy()
      if (running) await server.close()
      rmSync(directory, { recursive: true, force: true })
    },
  }
}
