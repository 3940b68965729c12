// Number formatting shared by the targets, the markdown and the chart.

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })

export const int = (n: number): string => grouped.format(n)

export function ms(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '–'
  if (value >= 1000) return `${(value / 1000).toFixed(value >= 10_000 ? 1 : 2)} s`
  return `${value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)} ms`
}

export function mb(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '–'
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`
}

export function ratio(value: number): string {
  return `×${value >= 100 ? value.toFixed(0) : value.toFixed(2)}`
}

export const percent = (value: number): string => `${(value * 100).toFixed(0)} %`
