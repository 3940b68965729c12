import type { DialectResults } from './results.js'
import type { Phase, PhaseName } from './scenarios/neighbour-latency.js'

// Scenario 3's chart, written by hand: per second, the p99 latency the neighbours saw in each phase, on a log
// scale so that a 10 ms wobble and a 10 s stall fit on one axis. One panel per database.

const WIDTH = 960
const PANEL = 280
const LEFT = 70
const RIGHT = 210
const TOP = 46
const BOTTOM = 42

const COLOURS: Record<PhaseName, string> = { idle: '#7a7a7a', purge: '#1f6fd1', cascade: '#d1421f' }
const LABELS: Record<PhaseName, string> = {
  idle: 'no deletion',
  purge: 'during orgspace purge',
  cascade: 'during baseline cascade',
}
const NAMES = { sqlite: 'SQLite', postgres: 'PostgreSQL' } as const

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const fixed = (n: number) => n.toFixed(1)

function tickLabel(msValue: number): string {
  return msValue >= 1000 ? `${msValue / 1000} s` : `${msValue} ms`
}

function panel(d: DialectResults, phases: Phase[], top: number): string {
  const plotWidth = WIDTH - LEFT - RIGHT
  const plotHeight = PANEL - TOP - BOTTOM
  const values = phases
    .flatMap((p) => p.series.flatMap((s) => [s.readP99, s.writeP99]))
    .filter((v): v is number => v !== null && v > 0)
  const lowExp = Math.floor(Math.log10(Math.max(0.1, Math.min(...values, 1))))
  const highExp = Math.max(lowExp + 1, Math.ceil(Math.log10(Math.max(...values, 10))))
  const seconds = Math.max(1, ...phases.map((p) => p.series.length))
  const x = (second: number) => LEFT + (second / seconds) * plotWidth
  const y = (msValue: number) =>
    top +
    TOP +
    plotHeight -
    ((Math.log10(Math.max(msValue, 10 ** lowExp)) - lowExp) / (highExp - lowExp)) * plotHeight

  const out: string[] = []
  out.push(
    `<text x="${LEFT}" y="${top + 28}" class="title">${escape(NAMES[d.dialect])}: neighbours' p99 latency per second</text>`,
  )
  for (let e = lowExp; e <= highExp; e++) {
    const v = 10 ** e
    out.push(
      `<line x1="${LEFT}" x2="${LEFT + plotWidth}" y1="${fixed(y(v))}" y2="${fixed(y(v))}" class="grid"/>`,
    )
    out.push(
      `<text x="${LEFT - 6}" y="${fixed(y(v) + 4)}" class="axis" text-anchor="end">${tickLabel(v)}</text>`,
    )
  }
  const step = seconds > 60 ? 10 : seconds > 20 ? 5 : 1
  for (let s = 0; s <= seconds; s += step)
    out.push(
      `<text x="${fixed(x(s))}" y="${top + PANEL - BOTTOM + 16}" class="axis" text-anchor="middle">${s}</text>`,
    )
  out.push(
    `<text x="${LEFT + plotWidth / 2}" y="${top + PANEL - 8}" class="axis" text-anchor="middle">seconds of recorded load</text>`,
  )
  out.push(`<rect x="${LEFT}" y="${top + TOP}" width="${plotWidth}" height="${plotHeight}" class="frame"/>`)

  for (const phase of phases) {
    const colour = COLOURS[phase.name]
    // The deletion's window: from DELETE sent to purge completed / cascade answered.
    if (phase.deleteAtMs !== null && phase.doneAtMs !== null) {
      const x0 = x(phase.deleteAtMs / 1000)
      const x1 = Math.max(x0 + 1, x(phase.doneAtMs / 1000))
      out.push(
        `<rect x="${fixed(x0)}" y="${top + TOP}" width="${fixed(x1 - x0)}" height="${plotHeight}" fill="${colour}" opacity="0.08"/>`,
      )
      out.push(
        `<line x1="${fixed(x1)}" x2="${fixed(x1)}" y1="${top + TOP}" y2="${top + TOP + plotHeight}" stroke="${colour}" stroke-dasharray="4 3"/>`,
      )
      out.push(
        `<line x1="${fixed(x0)}" x2="${fixed(x0)}" y1="${top + TOP}" y2="${top + TOP + plotHeight}" class="marker"/>`,
      )
    }
    for (const [key, dash] of [
      ['readP99', ''],
      ['writeP99', ' stroke-dasharray="2 3"'],
    ] as const) {
      const segments: string[][] = [[]]
      for (const point of phase.series) {
        const v = point[key]
        if (v === null) segments.push([])
        else segments[segments.length - 1]?.push(`${fixed(x(point.second + 0.5))},${fixed(y(v))}`)
      }
      for (const points of segments.filter((s) => s.length > 0))
        out.push(
          points.length === 1
            ? `<circle cx="${points[0]?.split(',')[0]}" cy="${points[0]?.split(',')[1]}" r="2" fill="${colour}"/>`
            : `<polyline points="${points.join(' ')}" fill="none" stroke="${colour}" stroke-width="${key === 'readP99' ? 2 : 1.3}"${dash}/>`,
        )
    }
  }
  let ly = top + TOP + 8
  for (const phase of phases) {
    const lx = LEFT + plotWidth + 16
    out.push(
      `<line x1="${lx}" x2="${lx + 22}" y1="${ly}" y2="${ly}" stroke="${COLOURS[phase.name]}" stroke-width="2"/>`,
    )
    out.push(`<text x="${lx + 28}" y="${ly + 4}" class="legend">${escape(LABELS[phase.name])}</text>`)
    ly += 20
  }
  const lx = LEFT + plotWidth + 16
  out.push(`<line x1="${lx}" x2="${lx + 22}" y1="${ly + 6}" y2="${ly + 6}" stroke="#333" stroke-width="2"/>`)
  out.push(`<text x="${lx + 28}" y="${ly + 10}" class="legend">reads p99</text>`)
  out.push(
    `<line x1="${lx}" x2="${lx + 22}" y1="${ly + 24}" y2="${ly + 24}" stroke="#333" stroke-dasharray="2 3" stroke-width="1.3"/>`,
  )
  out.push(`<text x="${lx + 28}" y="${ly + 28}" class="legend">writes p99</text>`)
  out.push(`<line x1="${lx + 11}" x2="${lx + 11}" y1="${ly + 36}" y2="${ly + 52}" class="marker"/>`)
  out.push(`<text x="${lx + 28}" y="${ly + 48}" class="legend">DELETE sent</text>`)
  out.push(`<rect x="${lx}" y="${ly + 58}" width="22" height="12" fill="#333" opacity="0.12"/>`)
  out.push(`<text x="${lx + 28}" y="${ly + 68}" class="legend">until deleted</text>`)
  return out.join('\n')
}

export function renderNeighbourSvg(dialects: readonly DialectResults[]): string {
  const drawn = dialects.filter((d) => (d.neighbours?.phases.length ?? 0) > 0)
  const height = Math.max(1, drawn.length) * PANEL + 10
  const body = drawn.length
    ? drawn.map((d, i) => panel(d, d.neighbours?.phases ?? [], i * PANEL)).join('\n')
    : `<text x="${LEFT}" y="40" class="title">scenario 3 did not run</text>`
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, sans-serif">
<style>
.title { font-size: 15px; font-weight: 600; fill: #222 }
.axis { font-size: 11px; fill: #555 }
.legend { font-size: 12px; fill: #333 }
.grid { stroke: #e3e3e3 }
.frame { fill: none; stroke: #bbb }
.marker { stroke: #333; stroke-dasharray: 1 2 }
</style>
<rect width="100%" height="100%" fill="#fff"/>
${body}
</svg>
`
}
