import { Type, type TSchema } from 'typebox'

// Query and response schemas shared by every paginated list.

/**
 * Past the last page of any collection (no list holds 2^31 items, even at limit=1): a later page is a client
 * mistake, and the bound keeps the offset ((page - 1) × limit) an integer both databases accept, where
 * `page=1e20` made SQLite fail.
 */
const MAX_PAGE = 2 ** 31 - 1

export const PageQuery = {
  page: Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 1 }),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  sort: Type.Optional(Type.String({ pattern: '^[\\w.]*((:asc)|(:desc))?$', maxLength: 64 })),
}

export function Paginated<T extends TSchema>(item: T) {
  return Type.Object({
    items: Type.Array(item),
    totalDocs: Type.Integer(),
    limit: Type.Integer(),
    page: Type.Integer(),
    totalPages: Type.Integer(),
    hasPrevPage: Type.Boolean(),
    hasNextPage: Type.Boolean(),
    prevPage: Type.Union([Type.Integer(), Type.Null()]),
    nextPage: Type.Union([Type.Integer(), Type.Null()]),
  })
}
