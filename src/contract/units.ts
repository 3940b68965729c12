// Numbers as people read them, the same in the dashboard and on the command line.

/** The noun that agrees with `n`: `app` for 1, `apps` otherwise; `many` for the irregular ones. */
export function noun(n: number, one: string, many = `${one}s`): string {
  return n === 1 ? one : many
}

/** `1 app`, `2 apps`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${noun(n, one, many)}`
}

/** 1536 → `1.5 KB`, 26214400 → `25 MB`: sizes in the largest unit that keeps the number at least 1. */
export function formatBytes(n: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB']
  let value = n
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit += 1
  }
  return unit === 0 ? plural(n, 'byte') : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`
}
