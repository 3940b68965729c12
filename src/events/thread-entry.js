// Entry of the delivery thread when orgspace runs from source (see threaded-worker.ts): TypeScript runs through
// tsx, which a worker thread has to register for itself. The compiled build starts dist/delivery-thread.js directly.
import { register } from 'tsx/esm/api'

register()
await import('./thread.ts')
