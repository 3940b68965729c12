import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { format } from 'prettier'
import { REPO_ROOT } from './server-process.js'

// BENCHMARKS.md carries the latest figures between two markers; every run replaces them with its latest.md, so
// the document and bench/results never disagree.

const START = '<!-- latest figures: written by npm run bench, do not edit by hand -->'
const END = '<!-- end of latest figures -->'

/** Aligns the tables as the repository's formatter would, so formatting the docs never rewrites the figures. */
export function formatMarkdown(markdown: string): Promise<string> {
  return format(markdown, { parser: 'markdown', printWidth: 110, proseWrap: 'preserve' })
}

/** latest.md as a section of BENCHMARKS.md: headings one level down, the chart's path from the repository root. */
export function embeddable(markdown: string): string {
  return markdown
    .replace(/^(#+) /gm, '#$1 ')
    .replace(/\]\(neighbour-latency\.svg\)/g, '](bench/results/neighbour-latency.svg)')
    .trim()
}

/** Replaces the figures in BENCHMARKS.md; false when the file or its markers are missing (nothing written). */
export function updateBenchmarksDoc(markdown: string, path = join(REPO_ROOT, 'BENCHMARKS.md')): boolean {
  if (!existsSync(path)) return false
  const doc = readFileSync(path, 'utf8')
  const start = doc.indexOf(START)
  const end = doc.indexOf(END)
  if (start < 0 || end < start) return false
  writeFileSync(path, `${doc.slice(0, start + START.length)}\n\n${embeddable(markdown)}\n\n${doc.slice(end)}`)
  return true
}
