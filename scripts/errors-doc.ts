// Writes docs/errors.md, the error-code table, from src/contract/errors.ts: `npm run docs:errors`.
// test/openapi.test.ts fails when the committed file differs from what this produces.
import { writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { format, resolveConfig } from 'prettier'
import { ERRORS_INTRO, errorTableMarkdown } from '../src/http/error-table.js'

export const ERRORS_DOC = fileURLToPath(new URL('../docs/errors.md', import.meta.url))

/** The file's content, formatted as `prettier --check` expects it. */
export async function errorsDoc(): Promise<string> {
  const text = [
    '# Error codes',
    '',
    '<!-- Generated from src/contract/errors.ts by `npm run docs:errors`; edit that table, not this file. -->',
    '',
    ERRORS_INTRO,
    '',
    errorTableMarkdown(),
    '',
    'The OpenAPI document (`/v1/openapi.json`, rendered at `/docs`) lists for each operation the codes it can',
    'answer, with an example body for each.',
    '',
  ].join('\n')
  return format(text, { ...(await resolveConfig(ERRORS_DOC)), filepath: ERRORS_DOC })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await writeFile(ERRORS_DOC, await errorsDoc())
  console.log(`wrote ${ERRORS_DOC}`)
}
