import type { Readable } from 'node:stream'

/** One part of a multipart form, as the services that read uploads take it (they never see the HTTP request). */
export type FormPart =
  | { type: 'field'; name: string; value: string; truncated: boolean }
  | {
      type: 'file'
      name: string
      fileName: string | undefined
      mimeType: string | undefined
      stream: Readable
    }
