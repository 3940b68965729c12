import { createReadStream, openAsBlob } from 'node:fs'
import { Writable, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { openDatabase } from '../../src/db/connect.js'
import { newId } from '../../src/db/ids.js'
import { sealStorage } from '../../src/encryption/open.js'
import { buildKey } from '../../src/storage/keys.js'
import type { ObjectStorage } from '../../src/storage/storage.js'
import { median, round, timed } from '../stats.js'
import { sampleRss, type ServerProcess } from '../server-process.js'

// Scenario 7, encryption (docs/api.md §13): the same file written and read through the storage with and without
// encryption, in the same run, alternating, on the same backend — the ratio is the price of encryption where it is
// paid. The HTTP upload and download of a build, end to end, and the server's memory while it streams one.

const MB = 1024 * 1024

export interface ThroughputPair {
  plainMbPerSecond: number
  encryptedMbPerSecond: number
  /** encrypted / plain */
  ratio: number
}

export interface EncryptionResult {
  bytes: number
  /** Through the storage (ObjectStorage.put / get), the file each way, alternating runs: medians. */
  write: ThroughputPair
  read: ThroughputPair
  /** Through the server: POST …/builds and GET …/download of one build (encrypted). */
  http: { uploadMbPerSecond: number; downloadMbPerSecond: number }
  /** The server's RSS before, and its peak during the upload and during the download. */
  memory: { idleBytes: number | null; uploadPeakBytes: number | null; downloadPeakBytes: number | null }
}

export interface EncryptionTarget {
  databaseUrl: string
  /** The server's (MASTER_KEY): the organization's data key is wrapped by it whoever uses it first. */
  masterKey: string
  storage: ObjectStorage
  server: ServerProcess
  organizationId: string
  appId: string
  token: string
}

/** Reads a stream to its end, keeping nothing. */
async function drain(stream: Readable | ReadableStream<Uint8Array> | null): Promise<number> {
  if (!stream) throw new Error('no such object')
  let bytes = 0
  await pipeline(
    stream,
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        bytes += chunk.length
        done()
      },
    }),
  )
  return bytes
}

const pair = (bytes: number, plain: number[], encrypted: number[]): ThroughputPair => {
  const p = bytes / MB / median(plain)
  const e = bytes / MB / median(encrypted)
  return { plainMbPerSecond: round(p, 1), encryptedMbPerSecond: round(e, 1), ratio: round(e / p, 3) }
}

export async function measureEncryption(
  target: EncryptionTarget,
  file: string,
  bytes: number,
  runs: number,
): Promise<EncryptionResult> {
  const handle = openDatabase(target.databaseUrl, { poolSize: 2 })
  try {
    const sealed = sealStorage(target.storage, handle.db, {
      MASTER_KEY: target.masterKey,
      MASTER_KEY_FILE: '',
    })
    const plainKey = buildKey(target.organizationId, target.appId, newId())
    const sealedKey = buildKey(target.organizationId, target.appId, newId())
    const writes = { plain: [] as number[], encrypted: [] as number[] }
    const reads = { plain: [] as number[], encrypted: [] as number[] }
    for (let i = 0; i < runs; i++) {
      writes.plain.push(await timed(() => target.storage.put(plainKey, createReadStream(file), 'x/y')))
      writes.encrypted.push(await timed(() => sealed.put(sealedKey, createReadStream(file), 'x/y')))
      reads.plain.push(await timed(async () => drain(await target.storage.get(plainKey))))
      reads.encrypted.push(await timed(async () => drain(await sealed.get(sealedKey))))
    }
    await target.storage.remove([plainKey, sealedKey])
    return {
      bytes,
      write: pair(bytes, writes.plain, writes.encrypted),
      read: pair(bytes, reads.plain, reads.encrypted),
      ...(await measureHttp(target, file, bytes)),
    }
  } finally {
    await handle.close()
  }
}

async function measureHttp(target: EncryptionTarget, file: string, bytes: number) {
  const base = `${target.server.baseUrl}/v1/organizations/${target.organizationId}/apps/${target.appId}/builds`
  const authorization = `Bearer ${target.token}`
  const idleBytes = target.server.rssBytes()
  const form = new FormData()
  form.append('file', await openAsBlob(file), 'bench.apk')
  const uploadRss = sampleRss(target.server.pid)
  let buildId = ''
  const uploadSeconds = await timed(async () => {
    const reply = await fetch(base, { method: 'POST', headers: { authorization }, body: form })
    if (reply.status !== 200) throw new Error(`upload answered ${reply.status}: ${await reply.text()}`)
    buildId = ((await reply.json()) as { data: { id: string } }).data.id
  })
  const uploadPeakBytes = uploadRss.stop()
  const downloadRss = sampleRss(target.server.pid)
  const downloadSeconds = await timed(async () => {
    const reply = await fetch(`${base}/${buildId}/download`, { headers: { authorization } })
    if ((await drain(reply.body)) !== bytes) throw new Error('the download is not the upload')
  })
  const downloadPeakBytes = downloadRss.stop()
  return {
    http: {
      uploadMbPerSecond: round(bytes / MB / uploadSeconds, 1),
      downloadMbPerSecond: round(bytes / MB / downloadSeconds, 1),
    },
    memory: { idleBytes, uploadPeakBytes, downloadPeakBytes },
  }
}
