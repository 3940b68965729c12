import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3'
import { freePort } from './pg-cluster.js'
import { waitFor } from './processes.js'

// A real S3-protocol server for the tests: s3rver (a dev dependency), listening on 127.0.0.1, started and stopped
// by the test file that needs it. Without it the S3 half of those files is skipped loudly — and fails in CI.
// s3rver lists a bucket folder in the order the filesystem gives, not in key order, so its listings are right only
// within one page: tests keep theirs to one (orgspace's purge never continues a listing, it lists again).

export interface S3Server {
  endpoint: string
  /** The server's process, while it runs (benchmarks read its CPU time). */
  pid(): number | undefined
  /** A fresh bucket, and the environment that points orgspace (or a child process) at it. */
  bucket(): Promise<Record<string, string>>
  /** Stops answering (connections refused) until `start` again, on the same port and data. */
  stop(): Promise<void>
  start(): Promise<void>
  close(): Promise<void>
}

const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' }
const require = createRequire(import.meta.url)

function installed(): boolean {
  try {
    require.resolve('s3rver')
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

/**
 * Starts the S3 server (call only when S3_AVAILABLE) in a process of its own, with OpenSSL's legacy provider:
 * s3rver encrypts its listing continuation tokens with DES, which Node 20's OpenSSL 3 refuses otherwise (every
 * listing longer than one page would fail).
 */
export async function startS3Server(): Promise<S3Server> {
  // The SDK reads credentials from the environment, as in production; s3rver accepts these.
  Object.assign(process.env, CREDENTIALS, { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' })
  const directory = mkdtempSync(join(tmpdir(), 'orgspace-s3-'))
  const script = join(require.resolve('s3rver/package.json'), '..', 'bin', 's3rver.js')
  const port = await freePort()
  const endpoint = `http://127.0.0.1:${port}`
  let child: ChildProcess | undefined
  const start = async () => {
    if (child) return
    const started = spawn(
      process.execPath,
      ['--openssl-legacy-provider', script, '-d', directory, '-a', '127.0.0.1', '-p', String(port), '-s'],
      { stdio: 'ignore' },
    )
    child = started
    process.once('exit', () => started.kill('SIGKILL'))
    await waitFor(
      () =>
        fetch(endpoint).then(
          () => true,
          () => false,
        ),
      30_000,
    )
  }
  const stop = async () => {
    const running = child
    child = undefined
    if (!running || running.exitCode !== null) return
    const exited = once(running, 'exit')
    running.kill('SIGTERM')
    await exited
  }
  await start()
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
    pid: () => child?.pid,
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
    stop,
    start,
    async close() {
      client.destroy()
      await stop()
      rmSync(directory, { recursive: true, force: true })
    },
  }
}
