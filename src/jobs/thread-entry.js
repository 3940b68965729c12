// Entry of a job's thread when orgspace runs from source (see thread.ts): TypeScript runs through tsx, which a
// worker thread has to register for itself; then the job's module, named in argv, is loaded. The compiled build
// starts dist/<job>-thread.js directly.
import { argv } from 'node:process'
import { register } from 'tsx/esm/api'

register()
await import(argv[2])
