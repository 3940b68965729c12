import type { FastifyRequest } from 'fastify'
import type {} from '@fastify/multipart'
import { AppError, ErrorCode } from '../core/errors.js'
import type { FormPart } from '../core/form.js'

/** The parts of a multipart request, in the order they arrive; 415 when the request is not multipart. */
export async function* formParts(request: FastifyRequest): AsyncGenerator<FormPart> {
  if (!request.isMultipart()) throw new AppError(ErrorCode.UnsupportedMediaType)
  for await (const part of request.parts()) {
    if (part.type === 'field')
      yield { type: 'field', name: part.fieldname, value: String(part.value), truncated: part.valueTruncated }
    else
      yield {
        type: 'file',
        name: part.fieldname,
        fileName: part.filename,
        mimeType: part.mimetype,
        stream: part.file,
      }
  }
}
