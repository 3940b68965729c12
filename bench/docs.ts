import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { format } from 'prettier'
import { REPO_ROOT } from './server-process.js'

// BENCHMARKS.md carries the latest figures between two markers, and opens with their targets table between two
// others; every run replaces both from its latest.md, so the document and bench/results never disagree.

const START = '<!-- latest figures: written by npm run bench, do not edit by hand -->'
const END = '<!-- end of latest figures -->'
const TARGETS_START = '<!-- targets: written by npm run bench, do not edit by hand -->'
const TARGETS_END = '<!-- end of targets -->'

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

/** `doc` with what lies between `start` and `end` replaced by `body`; undefined when the markers are missing. */
function between(doc: string, start: string, end: string, body: string): string | undefined {
  const from = doc.indexOf(start)
  const to = doc.indexOf(end)
  if (from < 0 || to < from) return undefined
  return `${doc.slice(0, from + start.length)}\n\n${body}\n\n${doc.slice(to)}`
}

/**
 * Replaces the figures in BENCHMARKS.md, and its opening table with `targets` (the run's targets table and what
 * run it comes from); false when the file or its markers are missing (nothing written).
 */
export function updateBenchmarksDoc(
  markdown: string,
  targets: string,
  path = join(REPO_ROOT, 'BENCHMARKS.md'),
): boolean {
  if (!existsSync(path)) return false
  const figures = between(readFileSync(path, 'utf8'), START, END, embeddable(markdown))
  const doc = figures && between(figures, TARGETS_START, TARGETS_END, targets.trim())
  if (doc === undefined) return false
  writeFileSync(path, doc)
  return true
}
