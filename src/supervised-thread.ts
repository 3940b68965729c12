import { Worker } from 'node:worker_threads'

/**
 * The file a worker thread starts from. From source (tests, `npm run dev`) the thread's module is thread.ts beside
 * `moduleUrl`, which a thread can only load through tsx, and a thread does not inherit its parent's loaders:
 * thread-entry.js registers tsx in the thread first. Compiled, it is the build's entry `dist/<compiled>.js`
 * (scripts/build-server.mjs), beside every other file of the build.
 */
export function threadEntry(moduleUrl: string, compiled: string): URL {
  return new URL(moduleUrl.endsWith('.ts') ? './thread-entry.js' : `./${compiled}.js`, moduleUrl)
}

export interface ThreadSpec<M> {
  /** What the thread does, for its log lines: "purge", "delivery". */
  name: string
  entry: URL
  /** Copied into the thread (functions cannot cross). */
  workerData: unknown
  onMessage(message: M): void
  logger: { error(obj: object, msg?: string): void }
  /** How long after an unasked exit the thread is started again. */
  restartMs: number
}

/**
 * A worker thread kept running: one that exits on its own is replaced after `restartMs` (the work it held is
 * resumed once its claims run out). `kick` wakes it; `stop` asks it to finish what it is doing and waits for it to
 * end. The purge and the delivery worker run this way on SQLite, where better-sqlite3's synchronous calls would
 * otherwise stop the server's event loop.
 */
export class SupervisedThread<M> {
  private thread: Worker | undefined
  private exited: Promise<void> = Promise.resolve()
  private stopping = false

  constructor(private readonly spec: ThreadSpec<M>) {}

  start(): void {
    if (this.thread) return
    this.stopping = false
    const { name, entry, workerData, onMessage, logger, restartMs } = this.spec
    const thread = new Worker(entry, { workerData, execArgv: [] })
    thread.on('message', onMessage)
    thread.on('error', (error) => logger.error({ err: error }, `${name} thread failed`))
    this.exited = new Promise((resolve) =>
      thread.once('exit', (code) => {
        this.thread = undefined
        resolve()
        if (!this.stopping) {
          logger.error({ code }, `${name} thread exited; restarting it`)
          setTimeout(() => this.stopping || this.start(), restartMs).unref()
        }
      }),
    )
    this.thread = thread
  }

  kick(): void {
    this.thread?.postMessage('kick')
  }

  async stop(): Promise<void> {
    this.stopping = true
    this.thread?.postMessage('stop')
    await this.exited
  }
}
