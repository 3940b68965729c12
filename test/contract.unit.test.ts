import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT } from './support/processes.js'

// One contract for the server and the dashboard (src/contract/): it imports nothing at run time, so the browser
// bundle can take it, and web/ holds no copy of what it says — no permission string, error code, error message
// or answer type written out again, where it would drift from the server unnoticed.

function sources(folder: string): { file: string; text: string }[] {
  return readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => ({ file: join(folder, name), text: readFileSync(join(ROOT, folder, name), 'utf8') }))
}

/** Every `import … from '…'` and `export … from '…'` of a file, whole, with its specifier. */
function imports(text: string): { statement: string; from: string }[] {
  return [...text.matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)'/gms)].map((m) => ({
    statement: m[0],
    from: m[1] ?? '',
  }))
}

const contract = sources('src/contract')
const web = sources('web/src')

/** Strings and numbers a hand copy would contain, stripped of comments so that prose may still name them. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1')
}

describe('src/contract', () => {
  it('imports nothing at run time: only its own files, and types from elsewhere', () => {
    expect(contract.length).toBeGreaterThan(0)
    for (const { file, text } of contract) {
      for (const { statement, from } of imports(text)) {
        const typeOnly = /^(import|export)\s+type\s/.test(statement)
        const ownFile = /^\.\/[\w-]+\.js$/.test(from)
        expect(typeOnly || ownFile, `${file}: ${statement}`).toBe(true)
      }
      expect(text, file).not.toMatch(/\brequire\(|\bimport\(/)
    }
  })
})

describe('web/src', () => {
  it('takes the contract from src/contract, not from a copy', () => {
    const users = web.filter(({ text }) => imports(text).some(({ from }) => from.includes('/src/contract/')))
    // The types, the error codes and the permissions each reach the views through the contract.
    expect(users.map((u) => relative('web/src', u.file)).sort()).toEqual(
      expect.arrayContaining(['types.ts', 'api.ts', 'ui.ts', join('views', 'workspace-context.ts')]),
    )
  })

  it('writes out no permission string (docs/api.md §4: <module>.<domain>.<resource>.<action>)', () => {
    for (const { file, text } of web) {
      expect(code(text), file).not.toMatch(/['"`](base|mad|mdm)\.\w+\.\w+\.\w+['"`]/)
    }
  })

  it('writes out no error code or error message of the API', () => {
    // The published table (docs/errors.md) is the oracle: its codes and messages must not appear in web/ sources.
    const table = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8')
    const rows = [...table.matchAll(/^\| (\d{4}) \| \d{3} +\| ([^|]+?) +\|/gm)].map((m) => ({
      code: m[1] ?? '',
      message: m[2] ?? '',
    }))
    expect(rows.length).toBeGreaterThanOrEqual(10)
    for (const { file, text } of web) {
      const body = code(text)
      for (const { code: number, message } of rows) {
        // A code compared, switched on or used as a key (a delay of 3000 ms is no copy).
        const asCode = new RegExp(
          `code\\s*[!=]==?\\s*${number}\\b|\\b${number}\\s*[!=]==?|case\\s+${number}\\b|^\\s*\\[?${number}\\]?\\s*:`,
          'm',
        )
        expect(body, `${file} copies code ${number}`).not.toMatch(asCode)
        expect(body, `${file} copies "${message}"`).not.toContain(`'${message}'`)
      }
    }
  })

  it('declares none of the answer types the contract exports', () => {
    const names = contract.flatMap(({ text }) =>
      [...text.matchAll(/^export (?:interface|type|const) (\w+)/gm)].map((m) => m[1] ?? ''),
    )
    expect(names).toEqual(expect.arrayContaining(['Organization', 'AuditEvent', 'ErrorCode', 'Permission']))
    for (const { file, text } of web) {
      for (const name of names) {
        expect(text, `${file} declares ${name}`).not.toMatch(
          new RegExp(`^\\s*(export\\s+)?(interface|type|const|enum)\\s+${name}\\b`, 'm'),
        )
      }
    }
  })
})
