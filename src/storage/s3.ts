import { Readable } from 'node:stream'
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  S3Client,
} from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import {
  StorageUnavailable,
  type ByteRange,
  type ObjectStorage,
  type StorageSettings,
  type StoredObject,
} from './storage.js'

// Objects in an S3 bucket, or any server that speaks the S3 protocol. An object written with PutObject or a
// multipart upload is invisible until the upload completes, so S3 itself is the "temporary key made visible only
// when complete"; a failed write is aborted (its parts discarded). A process killed during a multipart upload
// leaves parts that no listing shows: a bucket lifecycle rule that aborts incomplete uploads after a day
// (docs/storage.md) reclaims them.

type S3Settings = Extract<StorageSettings, { kind: 's3' }>

/** Parts of a multipart upload; memory per upload is about PART_BYTES × PARTS_IN_FLIGHT, whatever its size. */
const PART_BYTES = 8 * 1024 * 1024
const PARTS_IN_FLIGHT = 4
/** The most keys one DeleteObjects call takes. */
const DELETE_BATCH = 1000

function describe(error: unknown): string {
  const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } }
  return [name, $metadata?.httpStatusCode].filter((part) => part !== undefined).join(' ')
}

export class S3Storage implements ObjectStorage {
  readonly description: string
  private readonly client: S3Client
  private readonly bucket: string
  private readonly prefix: string

  constructor(readonly settings: S3Settings) {
    this.bucket = settings.bucket
    this.prefix = settings.prefix === '' ? '' : `${settings.prefix}/`
    this.description = `s3://${settings.bucket}/${settings.prefix}${settings.endpoint ? ` at ${settings.endpoint}` : ''}`
    this.client = new S3Client({
      region: settings.region || process.env.AWS_REGION || 'us-east-1',
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      forcePathStyle: settings.forcePathStyle,
      // Checksums only where S3 requires them: self-hosted S3 servers do not all understand the newer
      // trailing-checksum uploads, and SHA-256 is computed by orgspace as the bytes arrive anyway.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // A server that does not answer makes the request fail (503 / a purge retried later), not hang.
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
      maxAttempts: 3,
    })
  }

  private fullKey(key: string): string {
    return this.prefix + key
  }

  private failure(what: string, error: unknown): StorageUnavailable {
    return new StorageUnavailable(`S3 ${what} failed (${describe(error) || 'no answer'})`, { cause: error })
  }

  async put(key: string, body: Readable, contentType: string): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: this.fullKey(key), Body: body, ContentType: contentType },
      partSize: PART_BYTES,
      queueSize: PARTS_IN_FLIGHT,
      leavePartsOnError: false,
    })
    try {
      await upload.done()
    } catch (error) {
      if (body.errored) throw body.errored
      throw this.failure(`upload of ${key}`, error)
    }
    // The body failed after its last byte was read: what was written is not kept.
    if (body.errored) {
      await this.remove([key])
      throw body.errored
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable | null> {
    try {
      const result = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.fullKey(key),
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      )
      return (result.Body as Readable | undefined) ?? null
    } catch (error) {
      if (error instanceof NoSuchKey) return null
      // A range past the end of the object holds nothing, as a file read past its end does.
      if (range && (error as { name?: unknown }).name === 'InvalidRange') return Readable.from([])
      throw this.failure(`read of ${key}`, error)
    }
  }

  async remove(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH)
      let errors: { Key?: string; Code?: string }[] | undefined
      try {
        const result = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: batch.map((key) => ({ Key: this.fullKey(key) })), Quiet: true },
          }),
        )
        errors = result.Errors
      } catch (error) {
        throw this.failure('delete', error)
      }
      const [first] = errors ?? []
      if (first)
        throw new StorageUnavailable(`S3 refused to delete ${first.Key ?? 'an object'} (${first.Code})`)
    }
  }

  async *list(prefix: string, pageSize = 1000): AsyncIterable<StoredObject[]> {
    let token: string | undefined
    do {
      let page
      try {
        page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.fullKey(prefix),
            MaxKeys: pageSize,
            ContinuationToken: token,
          }),
        )
      } catch (error) {
        throw this.failure('listing', error)
      }
      const objects = (page.Contents ?? []).flatMap((object) =>
        object.Key === undefined
          ? []
          : [{ key: object.Key.slice(this.prefix.length), size: object.Size ?? 0 }],
      )
      if (objects.length > 0) yield objects
      token = page.IsTruncated ? page.NextContinuationToken : undefined
    } while (token)
  }

  async *keys(prefix: string, pageSize = 1000): AsyncIterable<string[]> {
    for await (const page of this.list(prefix, pageSize)) yield page.map((object) => object.key)
  }

  async close(): Promise<void> {
    this.client.destroy()
  }
}
