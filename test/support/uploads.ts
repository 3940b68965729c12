import { createHash, randomBytes } from 'node:crypto'
import type { TestApp } from './app.js'
import type { ObjectStorage } from '../../src/storage/storage.js'

// multipart/form-data bodies as a browser or curl sends them, built by the platform's own FormData (not by the
// code under test), and what storage holds, read back through its listing.

export type FormPart =
  [name: string, value: string] | [name: string, bytes: Buffer, fileName: string, type?: string]

export async function multipart(parts: FormPart[]): Promise<{ body: Buffer; contentType: string }> {
  const form = new FormData()
  for (const part of parts) {
    if (part.length === 2) form.append(part[0], part[1])
    else form.append(part[0], new Blob([part[1]], { type: part[3] ?? 'application/octet-stream' }), part[2])
  }
  const request = new Request('http://localhost/', { method: 'POST', body: form })
  return {
    body: Buffer.from(await request.arrayBuffer()),
    contentType: request.headers.get('content-type') ?? '',
  }
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex')
}

export function randomFile(size: number): Buffer {
  return randomBytes(size)
}

/** POSTs a multipart form with `authorization` (the whole header value) and returns status and parsed body. */
export async function postForm(t: TestApp, url: string, authorization: string | null, parts: FormPart[]) {
  const { body, contentType } = await multipart(parts)
  const response = await t.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': contentType, ...(authorization === null ? {} : { authorization }) },
    payload: body,
  })
  return { status: response.statusCode, body: JSON.parse(response.body), headers: response.headers }
}

/**
 * What an object of `plaintextBytes` takes in storage, encrypted (docs/storage.md): a 16-byte header, and a 16-byte
 * tag per 64 KiB segment, at least one.
 */
export function storedSize(plaintextBytes: number): number {
  return 16 + plaintextBytes + 16 * Math.max(1, Math.ceil(plaintextBytes / 65536))
}

/** Every object under `prefix`: key → size. */
export async function objectsUnder(storage: ObjectStorage, prefix: string): Promise<Map<string, number>> {
  const objects = new Map<string, number>()
  for await (const page of storage.list(prefix))
    for (const object of page) objects.set(object.key, object.size)
  return objects
}

/** The bytes of an object. */
export async function readObject(storage: ObjectStorage, key: string): Promise<Buffer | null> {
  const stream = await storage.get(key)
  if (!stream) return null
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array))
  return Buffer.concat(chunks)
}
