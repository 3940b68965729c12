import { Ajv, type ErrorObject, type Options, type SchemaObject, type ValidateFunction } from 'ajv'
import formats from 'ajv-formats'
import type { FastifySchemaCompiler } from 'fastify'
import { validationError } from './error-handler.js'
import { pointerSegment } from '../core/text.js'
import { OnFirstUse } from './on-first-use.js'
import { TRIM } from '../core/text-schemas.js'

const COMMON: Options = { allErrors: true, useDefaults: true, addUsedSchema: false }

function withVocabulary(ajv: Ajv): Ajv {
  // ajv-formats is CommonJS: its plugin is the module itself and, for ES module importers, its `default`.
  formats.default(ajv)
  ajv.addKeyword({
    keyword: TRIM,
    type: 'string',
    schemaType: 'boolean',
    modifying: true,
    // Before maxLength (the first string keyword), so every length and pattern check sees the trimmed value.
    before: 'maxLength',
    errors: false,
    compile: (trim: boolean) => (data: string, context) => {
      if (trim && context?.parentData !== undefined) {
        const parent = context.parentData as Record<string | number, unknown>
        parent[context.parentDataProperty] = data.trim()
      }
      return true
    },
  })
  return ajv
}

/**
 * Where a body schema would let an unknown field through, or null: an object that says nothing about keys
 * beyond its properties (`additionalProperties: false` refuses them; a map, such as TypeBox's Record, states
 * which it takes). Route schemas are the project's own, finite and shallow, so plain recursion is fine here.
 */
function openObjectAt(schema: SchemaObject, path: string): string | null {
  if (schema.type === 'object' || schema.properties !== undefined) {
    const extra = schema.additionalProperties
    if ((extra === undefined || extra === true) && schema.patternProperties === undefined) return path || '/'
  }
  const children: [string, unknown][] = [
    ...Object.entries((schema.properties ?? {}) as Record<string, unknown>).map(
      ([key, value]): [string, unknown] => [`${path}/${key}`, value],
    ),
    ...(['anyOf', 'oneOf', 'allOf'] as const).flatMap((keyword) =>
      Array.isArray(schema[keyword])
        ? (schema[keyword] as unknown[]).map((value): [string, unknown] => [path, value])
        : [],
    ),
    ...Object.values((schema.patternProperties ?? {}) as Record<string, unknown>).map(
      (value): [string, unknown] => [`${path}/*`, value],
    ),
    ...(typeof schema.additionalProperties === 'object'
      ? [[`${path}/*`, schema.additionalProperties] as [string, unknown]]
      : []),
    ...(schema.items !== undefined ? [[`${path}/items`, schema.items] as [string, unknown]] : []),
  ]
  for (const [at, child] of children) {
    if (child !== null && typeof child === 'object') {
      const found = openObjectAt(child as SchemaObject, at)
      if (found) return found
    }
  }
  return null
}

/**
 * AJV coerces text such as `1e400` or `Infinity` into a non-finite number, which then passes `type: integer`
 * and skips `maximum` (its range checks only look at finite numbers), so `?page=1e400` reached the database.
 * Path parameters and query strings are flat (an array at most), so the check after coercion is shallow.
 */
function refusingInfinity(validate: ValidateFunction): ValidateFunction {
  const checked = ((data: unknown, context?: Parameters<ValidateFunction>[1]) => {
    const valid = validate(data, context)
    const errors: ErrorObject[] = [...(validate.errors ?? [])]
    if (data !== null && typeof data === 'object') {
      for (const [key, value] of Object.entries(data)) {
        const values: unknown[] = Array.isArray(value) ? value : [value]
        if (values.some((item) => typeof item === 'number' && !Number.isFinite(item))) {
          errors.push({
            instancePath: `/${pointerSegment(key)}`,
            schemaPath: '#',
            keyword: 'type',
            params: {},
            message: 'must be a finite number',
          })
        }
      }
    }
    checked.errors = errors.length > 0 ? errors : null
    return valid && errors.length === 0
  }) as ValidateFunction
  // Fastify passes the parent (the request) to AJV's own functions, so defaults can be set on a missing part.
  checked.schemaEnv = validate.schemaEnv
  checked.schema = validate.schema
  return checked
}

/**
 * One validator per HTTP part. A JSON body arrives typed, so a value of the wrong type is the client's mistake:
 * nothing is coerced, and an unknown field is an error, not silently dropped (a typo would lose data). Path
 * parameters and query strings arrive as text, so there "2" is the number 2.
 */
export function validatorCompiler(onFirstUse = new OnFirstUse()): FastifySchemaCompiler<SchemaObject> {
  const body = withVocabulary(new Ajv({ ...COMMON, coerceTypes: false, removeAdditional: false }))
  const text = withVocabulary(new Ajv({ ...COMMON, coerceTypes: 'array', removeAdditional: false }))
  return ({ schema, method, url, httpPart }) => {
    if (httpPart !== 'body') return deferred(onFirstUse.defer(() => refusingInfinity(text.compile(schema))))
    // Checked at start, unlike the compilation: it is cheap, and a route that would drop fields must not start.
    const open = openObjectAt(schema, '')
    if (open) {
      throw new Error(`The body schema of ${method} ${url} lets unknown fields through at ${open}`)
    }
    return deferred(onFirstUse.defer(() => body.compile(schema)))
  }
}

let forms: Ajv | undefined

/**
 * A validator for a body that does not arrive as JSON (a multipart form's text fields): the same rules as a JSON
 * body's, so its errors read the same (http/error-handler.ts `validationError`).
 */
function formValidator(schema: SchemaObject): () => ValidateFunction {
  let validate: ValidateFunction | undefined
  return () =>
    (validate ??= (forms ??= withVocabulary(new Ajv({ ...COMMON, coerceTypes: false }))).compile(schema))
}

/** `formValidator`, throwing the 3000 a JSON body would get when the fields break the schema. */
export function formFields<T>(schema: SchemaObject): (body: Record<string, string>) => T {
  const validator = formValidator(schema)
  return (body) => {
    const validate = validator()
    if (!validate(body)) throw validationError('body', validate.errors ?? [])
    return body as T
  }
}

/** A validator that compiles on its first call (on-first-use.ts) and then behaves as AJV's own. */
function deferred(compiled: () => ValidateFunction): ValidateFunction {
  const validate = ((data: unknown, context?: Parameters<ValidateFunction>[1]) => {
    const inner = compiled()
    const valid = inner(data, context)
    validate.errors = inner.errors
    return valid
  }) as ValidateFunction
  // Fastify passes the parent (the request) to functions that have a schemaEnv, as AJV's own do: asked for it,
  // compile.
  Object.defineProperty(validate, 'schemaEnv', { get: () => compiled().schemaEnv })
  return validate
}
