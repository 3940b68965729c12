// The contract shared by the server and the dashboard: error codes, permission strings, answer types and the
// audit history's vocabulary. Nothing here imports anything at run time.

export * from './api.js'
export * from './audit.js'
export * from './errors.js'
export * from './permissions.js'
export * from './identifiers.js'
export * from './units.js'
