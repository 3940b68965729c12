// Entry of the purge thread: TypeScript runs through tsx, which a worker thread has to register for itself.
import { register } from 'tsx/esm/api'

register()
await import('./thread.ts')
