import { AppError } from './errors.js'

export interface PageRequest {
  page: number
  limit: number
}

export interface Sort<C extends string> {
  column: C
  direction: 'asc' | 'desc'
}

/**
 * Turns `field[:asc|:desc]` into a column of the resource. Fields are API names (camelCase); `columns` maps the
 * sortable ones. An unknown field is a validation error, not silently ignored.
 */
export function parseSort<C extends string>(
  sort: string | undefined,
  columns: Record<string, C>,
  fallback: Sort<C>,
): Sort<C> {
  if (!sort) return fallback
  const [field = '', direction = 'asc'] = sort.split(':')
  if (field === '') return { column: fallback.column, direction: direction as 'asc' | 'desc' }
  // Own keys only: `sort=__proto__` or `sort=constructor` must not find Object.prototype's members.
  const column = Object.hasOwn(columns, field) ? columns[field] : undefined
  if (!column) {
    throw AppError.validation([
      { path: '/querystring/sort', message: `must sort by one of: ${Object.keys(columns).join(', ')}` },
    ])
  }
  return { column, direction: direction as 'asc' | 'desc' }
}

export function offsetOf({ page, limit }: PageRequest): number {
  return (page - 1) * limit
}

/**
 * One page of a list. A page beyond the last has no items; its previous page is the last one that has some,
 * so a client following `prevPage` lands on data rather than walking back one empty page at a time.
 */
export function pageOf<T>(items: T[], totalDocs: number, { page, limit }: PageRequest) {
  const totalPages = Math.max(1, Math.ceil(totalDocs / limit))
  const hasPrevPage = page > 1
  const hasNextPage = page < totalPages
  return {
    items,
    totalDocs,
    limit,
    page,
    totalPages,
    hasPrevPage,
    hasNextPage,
    prevPage: hasPrevPage ? Math.min(page - 1, totalPages) : null,
    nextPage: hasNextPage ? page + 1 : null,
  }
}

/** One page of a list: its rows and its total, read at once, and each row as the API shows it. */
export async function readPage<R, V>(
  page: PageRequest,
  rows: Promise<R[]>,
  total: number | Promise<number>,
  view: (row: R) => V,
) {
  const [items, totalDocs] = await Promise.all([rows, total])
  return pageOf(items.map(view), totalDocs, page)
}
