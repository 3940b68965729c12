import { randomBytes } from 'node:crypto'
import { createReadStream, openAsBlob } from 'node:fs'
import { copyFile, mkdtemp, open, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { DeleteObjectCommand, DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { loadConfig } from '../../src/config.js'
import { openDatabase } from '../../src/db/connect.js'
import { newId, nowIso } from '../../src/db/ids.js'
import { seedOrganization } from '../../src/seed/seed.js'
import { buildKey } from '../../src/storage/keys.js'
import { type ObjectStorage } from '../../src/storage/storage.js'
import { openStorage, storageSettings } from '../../src/storage/open.js'
import { createToken } from '../../src/tokens/service.js'
import { S3_AVAILABLE, startS3Server, type S3Server } from '../../test/support/s3.js'
import type { DialectContext } from '../context.js'
import { buildRow } from '../fixtures.js'
import { readCpuSeconds, REPO_ROOT, startServer, type ServerProcess } from '../server-process.js'
import { median, round, timed } from '../stats.js'
import { measureEncryption, type EncryptionResult } from './encryption.js'

// Scenario 7 — builds in storage, on each backend, each figure beside the same work done without orgspace:
// - upload: POST …/builds of one file (multipart, streamed, hashed, encrypted, stored, committed) in MB/s, against
//   the same bytes stored without orgspace: on the filesystem copied on the same disk and flushed, on S3 sent by
//   the SDK's own multipart `Upload` (@aws-sdk/lib-storage, its defaults) to the same server;
// - purge: DELETE of an organization with N builds until its receipt is completed (rows and objects), in objects/s,
//   against removing the same number of objects directly (the folder with rm -r; the S3 keys with DeleteObjects).

export type StorageBackend = 'file' | 's3'

export interface StorageBackendResult {
  backend: StorageBackend
  upload: {
    bytes: number
    seconds: number
    mbPerSecond: number
    /** The same bytes stored without orgspace: a flushed copy (filesystem) or the SDK's `Upload` (S3). */
    floor: { kind: 'copy' | 'sdk-upload'; seconds: number; mbPerSecond: number }
    ratio: number
    /** CPU time over every run, per process, for orgspace's upload and for the floor: what the cores were doing. */
    cpu: { ours: CpuShare; floor: CpuShare }
  }
  /** Encrypted against plaintext storage, and the server's memory while it streams a build (encryption.ts). */
  encryption: EncryptionResult
  purge: {
    objects: number
    seconds: number
    objectsPerSecond: number
    direct: { seconds: number; objectsPerSecond: number }
    ratio: number
  }
}

/**
 * CPU seconds spent by each process while the uploads ran (summed over the runs), and how many of the machine's
 * cores they kept busy on average: near the core count, the upload is bounded by the machine, not by waiting.
 */
export interface CpuShare {
  seconds: number
  /** The harness (the HTTP client of orgspace's upload; the SDK's client for the floor). */
  client: number
  server: number
  /** The S3 server (s3rver), when the storage is S3. */
  storage: number
  busyCores: number
}

export interface StorageResult {
  backends: StorageBackendResult[]
  /** Backends not measured, and why. */
  skipped: Record<string, string>
}

const MB = 1024 * 1024
const OBJECT_BYTES = 1024
const PARALLEL_PUTS = 16

export async function putObjects(storage: ObjectStorage, keys: string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += PARALLEL_PUTS)
    await Promise.all(
      keys
        .slice(i, i + PARALLEL_PUTS)
        .map((key) =>
          storage.put(key, Readable.from([randomBytes(OBJECT_BYTES)]), 'application/octet-stream'),
        ),
    )
}

interface Bench {
  url: string
  server: ServerProcess
  storage: ObjectStorage
  /** The S3 server's process, when the storage is S3. */
  storagePid?: () => number | undefined
}

/** An organization with one app, `builds` builds written straight into storage and the table. */
export async function organizationWithBuilds(bench: Pick<Bench, 'url' | 'storage'>, builds: number) {
  const handle = openDatabase(bench.url, { poolSize: 2 })
  try {
    const { db } = handle
    const seeded = await seedOrganization(db, { owner: 'storage@bench.test', apps: 1 })
    const app = await db
      .selectFrom('apps')
      .select('id')
      .where('organization_id', '=', seeded.organizationId)
      .executeTakeFirstOrThrow()
    const ids = Array.from({ length: builds }, () => newId())
    await putObjects(
      bench.storage,
      ids.map((id) => buildKey(seeded.organizationId, app.id, id)),
    )
    const rows = ids.map((id) =>
      buildRow({
        organizationId: seeded.organizationId,
        appId: app.id,
        id,
        uploadedBy: seeded.ownerId,
        size: OBJECT_BYTES,
        createdAt: nowIso(),
      }),
    )
    for (let i = 0; i < rows.length; i += 500)
      await db
        .insertInto('builds')
        .values(rows.slice(i, i + 500))
        .execute()
    await db
      .updateTable('organizations')
      .set({ builds_bytes: builds * OBJECT_BYTES })
      .where('id', '=', seeded.organizationId)
      .execute()
    const { token } = await createToken(db, seeded.ownerId, { name: 'bench' })
    return { organizationId: seeded.organizationId, appId: app.id, token }
  } finally {
    await handle.close()
  }
}

async function measureUpload(bench: Bench, file: string, bytes: number, scratch: string, runs: number) {
  const { organizationId, appId, token } = await organizationWithBuilds(bench, 0)
  const upload = async () => {
    const form = new FormData()
    form.append('file', await openAsBlob(file), 'bench.apk')
    const reply = await fetch(
      `${bench.server.baseUrl}/v1/organizations/${organizationId}/apps/${appId}/builds`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: form,
      },
    )
    if (reply.status !== 200) throw new Error(`upload answered ${reply.status}: ${await reply.text()}`)
  }
  // The same bytes copied on the same disk and flushed, as the filesystem backend flushes every build.
  const copy = async () => {
    const target = join(scratch, `copy-${newId()}`)
    await copyFile(file, target)
    const handle = await open(target, 'r+')
    await handle.sync()
    await handle.close()
    await rm(target)
  }
  const settings = bench.storage.settings
  const floor = settings.kind === 's3' ? () => sdkUpload(settings, file) : copy
  const ours: number[] = []
  const theirs: number[] = []
  const cpu = { ours: cpuMeter(bench), floor: cpuMeter(bench) }
  for (let i = 0; i < runs; i++) {
    ours.push(await cpu.ours.during(() => timed(upload)))
    theirs.push(await cpu.floor.during(() => timed(floor)))
  }
  const seconds = median(ours)
  const floorSeconds = median(theirs)
  return {
    bytes,
    seconds: round(seconds, 3),
    mbPerSecond: round(bytes / MB / seconds, 1),
    floor: {
      kind: settings.kind === 's3' ? ('sdk-upload' as const) : ('copy' as const),
      seconds: round(floorSeconds, 3),
      mbPerSecond: round(bytes / MB / floorSeconds, 1),
    },
    ratio: round(floorSeconds / seconds, 3),
    cpu: { ours: cpu.ours.share(), floor: cpu.floor.share() },
  }
}

/** Adds up the CPU time of the harness, the server and the S3 server over the runs it is given. */
function cpuMeter(bench: Bench) {
  const total = { client: 0, server: 0, storage: 0, wall: 0 }
  const processCpu = (pid: number | undefined) => (pid === undefined ? 0 : (readCpuSeconds(pid) ?? 0))
  return {
    async during(work: () => Promise<number>): Promise<number> {
      const client = process.cpuUsage()
      const server = processCpu(bench.server.pid)
      const storage = processCpu(bench.storagePid?.())
      const wall = await work()
      const used = process.cpuUsage(client)
      total.client += (used.user + used.system) / 1e6
      total.server += processCpu(bench.server.pid) - server
      total.storage += processCpu(bench.storagePid?.()) - storage
      total.wall += wall
      return wall
    },
    share(): CpuShare {
      const seconds = total.client + total.server + total.storage
      return {
        seconds: round(seconds, 2),
        client: round(total.client, 2),
        server: round(total.server, 2),
        storage: round(total.storage, 2),
        busyCores: total.wall > 0 ? round(seconds / total.wall, 2) : 0,
      }
    },
  }
}

/** The file sent to the same bucket by the SDK's multipart `Upload` alone, as an operator's script would; then removed. */
async function sdkUpload(settings: S3Settings, file: string): Promise<void> {
  const client = s3Client(settings)
  const key = `${settings.prefix ? `${settings.prefix}/` : ''}sdk-upload-${newId()}`
  try {
    await new Upload({
      client,
      params: { Bucket: settings.bucket, Key: key, Body: createReadStream(file) },
    }).done()
    await client.send(new DeleteObjectCommand({ Bucket: settings.bucket, Key: key }))
  } finally {
    client.destroy()
  }
}

type S3Settings = Extract<ObjectStorage['settings'], { kind: 's3' }>

function s3Client(settings: S3Settings): S3Client {
  return new S3Client({
    endpoint: settings.endpoint,
    region: settings.region || 'us-east-1',
    forcePathStyle: settings.forcePathStyle,
    requestChecksumCalculation: 'WHEN_REQUIRED',
  })
}

async function measurePurge(bench: Bench, builds: number, timeoutMs: number) {
  const { organizationId, token } = await organizationWithBuilds(bench, builds)
  const answer = await fetch(`${bench.server.baseUrl}/v1/organizations/${organizationId}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${token}` },
  })
  if (answer.status !== 200) throw new Error(`DELETE answered ${answer.status}`)
  const { deletionId } = ((await answer.json()) as { data: { deletionId: string } }).data
  const deadline = Date.now() + timeoutMs
  let receipt: { status: string; requestedAt: string; completedAt: string | null } | undefined
  for (;;) {
    const reply = await fetch(`${bench.server.baseUrl}/v1/deletions/${deletionId}`, {
      headers: { authorization: `Bearer ${token}` },
    })
    receipt = ((await reply.json()) as { data: typeof receipt }).data
    if (receipt?.status === 'completed' && receipt.completedAt) break
    if (Date.now() > deadline) throw new Error(`purge not completed after ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  const seconds = (Date.parse(receipt.completedAt ?? '') - Date.parse(receipt.requestedAt)) / 1000

  // The floor: the same number of objects written again, then removed without orgspace.
  const prefix = `direct-${newId()}/`
  await putObjects(
    bench.storage,
    Array.from({ length: builds }, () => `${prefix}${newId()}`),
  )
  const direct = await timed(() => removeDirectly(bench, prefix))
  return {
    objects: builds,
    seconds: round(seconds, 3),
    objectsPerSecond: Math.round(builds / seconds),
    direct: { seconds: round(direct, 3), objectsPerSecond: Math.round(builds / direct) },
    ratio: round(direct / seconds, 3),
  }
}

/** What an operator would do by hand: rm -r of the folder, or listing the keys and deleting them 1000 at a time. */
async function removeDirectly(bench: Bench, prefix: string): Promise<void> {
  const settings = bench.storage.settings
  if (settings.kind === 'file') return rm(join(settings.root, prefix), { recursive: true, force: true })
  const client = s3Client(settings)
  const full = `${settings.prefix}/${prefix}`
  try {
    for (;;) {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: settings.bucket, Prefix: full, MaxKeys: 1000 }),
      )
      const keys = (page.Contents ?? []).flatMap((object) => (object.Key ? [{ Key: object.Key }] : []))
      if (keys.length === 0) return
      await client.send(
        new DeleteObjectsCommand({ Bucket: settings.bucket, Delete: { Objects: keys, Quiet: true } }),
      )
    }
  } finally {
    client.destroy()
  }
}

async function runBackend(
  context: DialectContext,
  backend: StorageBackend,
  storageEnv: Record<string, string>,
  scratch: string,
  storagePid?: () => number | undefined,
): Promise<StorageBackendResult> {
  const { plan } = context
  const url = await context.store.create(`t_storage_${backend}`)
  const storage = await openStorage(storageSettings(loadConfig(storageEnv)))
  const masterKey = randomBytes(32).toString('base64')
  const env = {
    ...storageEnv,
    DATABASE_URL: url,
    PURGE_WORKER: 'on',
    BUILD_MAX_BYTES: String(plan.storage.uploadBytes + MB),
    REQUEST_TIMEOUT_MS: '600000',
    MASTER_KEY: masterKey,
  }
  const server = await startServer('orgspace', env)
  const bench: Bench = { url, server, storage, storagePid }
  try {
    const file = join(scratch, 'build.bin')
    await writeFile(file, randomBytes(plan.storage.uploadBytes))
    context.log(
      `storage (${backend}): uploading ${plan.storage.uploadBytes / MB} MB, ${plan.storage.uploadRuns} times`,
    )
    const upload = await measureUpload(
      bench,
      file,
      plan.storage.uploadBytes,
      scratch,
      plan.storage.uploadRuns,
    )
    context.log(
      `storage (${backend}): encrypted and plaintext storage, ${plan.storage.uploadRuns} times each`,
    )
    const target = await organizationWithBuilds(bench, 0)
    const encryption = await measureEncryption(
      { databaseUrl: url, storage, server, masterKey, ...target },
      file,
      plan.storage.uploadBytes,
      plan.storage.uploadRuns,
    )
    context.log(`storage (${backend}): purging an organization with ${plan.storage.builds} builds`)
    const purge = await measurePurge(bench, plan.storage.builds, plan.load.maxWaitMs)
    return { backend, upload, encryption, purge }
  } finally {
    await server.stop()
    await storage.close()
  }
}

export async function runStorage(context: DialectContext): Promise<StorageResult> {
  const result: StorageResult = { backends: [], skipped: {} }
  // Scratch files and the filesystem storage share the repository's disk, so the baseline copies where orgspace writes.
  const scratch = await mkdtemp(join(REPO_ROOT, 'bench/results/tmp/storage-'))
  let s3: S3Server | undefined
  try {
    result.backends.push(
      await runBackend(context, 'file', { STORAGE_URL: `file:${join(scratch, 'objects')}` }, scratch),
    )
    if (!S3_AVAILABLE) result.skipped.s3 = 's3rver is not installed'
    else {
      s3 = await startS3Server()
      result.backends.push(await runBackend(context, 's3', await s3.bucket(), scratch, s3.pid))
    }
  } finally {
    await s3?.close()
    await rm(scratch, { recursive: true, force: true })
  }
  return result
}
