import type { Readable } from 'node:stream'
import { AppError, ErrorCode } from '../core/errors.js'
import { buildKey } from '../storage/keys.js'
import type { ByteRange, ObjectStorage } from '../storage/storage.js'
import type { BuildRow } from './repository.js'

// GET …/builds/:buildId/download: the bytes, streamed from storage, with the HTTP a download manager expects —
// one `Range` (bytes=a-b, a-, -n), `If-Range`, and the SHA-256 as a strong ETag (`If-None-Match` → 304).

export interface DownloadRequest {
  method: string
  range?: string
  ifRange?: string
  ifNoneMatch?: string
}

export interface Download {
  status: 200 | 206 | 304 | 416
  headers: Record<string, string>
  /** Null for 304, 416 and HEAD. */
  body: Readable | null
}

/**
 * The one range a `Range` header asks for, null to send everything (no header, a form orgspace does not serve such
 * as several ranges, or a malformed one: RFC 9110 lets a server ignore those), or 'unsatisfiable'.
 */
function parseRange(header: string | undefined, size: number): ByteRange | null | 'unsatisfiable' {
  const match = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (!match) return null
  const [, first = '', last = ''] = match
  if (first === '' && last === '') return null
  if (first === '') {
    const suffix = Number(last)
    return suffix === 0 || size === 0 ? 'unsatisfiable' : { start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(first)
  if (last !== '' && Number(last) < start) return null
  if (start >= size) return 'unsatisfiable'
  return { start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) }
}

const etagOf = (build: BuildRow) => `"${build.sha256}"`

function matchesEtag(header: string, etag: string): boolean {
  return header
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === '*' || tag === etag)
}

/** An attachment named as uploaded: a plain-ASCII `filename` for old clients, the exact name as `filename*`. */
function disposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_')
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`
}

export async function openDownload(
  storage: ObjectStorage,
  build: BuildRow,
  request: DownloadRequest,
): Promise<Download> {
  const size = Number(build.size)
  const etag = etagOf(build)
  const common = { etag, 'accept-ranges': 'bytes', 'cache-control': 'private, no-cache' }
  if (request.ifNoneMatch !== undefined && matchesEtag(request.ifNoneMatch, etag))
    return { status: 304, headers: common, body: null }
  // If-Range names the version the client has part of: a different one gets the whole body.
  const wanted = request.ifRange !== undefined && request.ifRange !== etag ? undefined : request.range
  const range = parseRange(wanted, size)
  if (range === 'unsatisfiable')
    return { status: 416, headers: { 'content-range': `bytes */${size}` }, body: null }
  const headers = {
    ...common,
    'content-type': build.content_type,
    'content-disposition': disposition(build.file_name),
    'content-length': String(range ? range.end - range.start + 1 : size),
    ...(range ? { 'content-range': `bytes ${range.start}-${range.end}/${size}` } : {}),
  }
  const status = range ? 206 : 200
  if (request.method === 'HEAD') return { status, headers, body: null }
  const body = await storage.get(buildKey(build.organization_id, build.app_id, build.id), range ?? undefined)
  // A build whose object is gone is orgspace's fault, not the caller's (`orgspace storage check` finds these).
  if (!body) throw new AppError(ErrorCode.Internal, undefined, `the object of build ${build.id} is missing`)
  return { status, headers, body }
}
