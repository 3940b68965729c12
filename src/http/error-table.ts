import { ERRORS, type ErrorCode } from '../core/errors.js'

// The error-code table as Markdown, from the one code table in errors.ts: the OpenAPI description (and so /docs)
// shows it, and docs/errors.md is generated from it (`npm run docs:errors`; a test fails when that file is stale).

/** How failures look and in which order a request is checked; the docs and the OpenAPI document say it. */
export const ERRORS_INTRO = `A failure answers \`{"status": false, "error": {"code": N, "message": "…", "data"?: …}}\` with an HTTP
status, and its code says more. A request is checked in this order and the first check that fails answers:
authentication (4002/4004/4005), validation (3000), lookup and membership (3001), permission (4003), then the
route's own rules (5001, 5111, …).`

/** A table cell: pipes would end the cell early. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|')
}

export function errorTableMarkdown(): string {
  const rows = (Object.entries(ERRORS) as [string, (typeof ERRORS)[ErrorCode]][])
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([code, { status, message, when }]) => `| ${code} | ${status} | ${cell(message)} | ${cell(when)} |`)
  return ['| code | HTTP | message | when |', '| --- | --- | --- | --- |', ...rows].join('\n')
}
