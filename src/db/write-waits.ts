// SQLite has one write lock. The server's writers wait for it asynchronously (sqlite-driver.ts), and while they
// wait they count themselves here, in memory shared with the purge thread: it then commits after its current batch
// rather than going on (deletion/purge.ts). Every thread has a counter of its own, for its own writers; the server's
// is handed to the purge thread when it starts (deletion/threaded-worker.ts).
export const waitingWriters = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT))

/** Whether a writer counted in `counter` is waiting for the write lock now. */
export function writerWaiting(counter: Int32Array): boolean {
  return Atomics.load(counter, 0) > 0
}
