import { Worker, parentPort, type MessagePort } from 'node:worker_threads'
import type { Logger } from '../core/logger.js'
import type { Runner } from './loop.js'

// A job in a worker thread of its own. On a SQLite file better-sqlite3's calls are synchronous: in the server's
// thread every batch of a purge or every recorded delivery would stop the event loop, and with it every other
// tenant's requests. In its own thread, on its own connection, a job only competes for the write lock. The server
// holds a ThreadedRunner (the same Runner as a JobLoop in this thread); the thread runs `serveRunner`.

type Level = 'debug' | 'info' | 'warn' | 'error'

/** A log line of the thread, written by the server's logger. */
export interface LogMessage {
  type: 'log'
  level: Level
  obj: object
  msg?: string
}

export interface ThreadSpec<M> {
  /** What the thread does, for its log lines: "purge", "delivery". */
  name: string
  /** The module that runs in the thread, from source. */
  module: URL
  /** Its entry in the build (scripts/build-server.mjs), beside every other file of the build: `<compiled>.js`. */
  compiled: string
  /** Copied into the thread (functions cannot cross). */
  workerData: unknown
  /** The thread's messages other than log lines. */
  onMessage?(message: M): void
  logger: Logger
  /** How long after an unasked exit the thread is started again. */
  restartMs: number
}

/**
 * A worker thread kept running: one that exits on its own is replaced after `restartMs` (the work it held is
 * resumed once its claims run out). `kick` wakes it; `stop` asks it to finish what it is doing and waits for it to
 * end.
 */
export class ThreadedRunner<M extends { type: string }> implements Runner {
  private thread: Worker | undefined
  private exited: Promise<void> = Promise.resolve()
  private stopping = false

  constructor(private readonly spec: ThreadSpec<M>) {}

  start(): void {
    if (this.thread) return
    this.stopping = false
    const { name, module, compiled, workerData, onMessage, logger, restartMs } = this.spec
    // From source (tests, `npm run dev`) a thread can load TypeScript only through tsx, and a thread does not
    // inherit its parent's loaders: thread-entry.js registers tsx first, then imports the module.
    const fromSource = import.meta.url.endsWith('.ts')
    const entry = new URL(fromSource ? './thread-entry.js' : `./${compiled}.js`, import.meta.url)
    const thread = new Worker(entry, { workerData, execArgv: [], argv: fromSource ? [module.href] : [] })
    thread.on('message', (message: M | LogMessage) => {
      if (message.type === 'log') {
        const { level, obj, msg } = message as LogMessage
        logger[level](obj, msg)
      } else onMessage?.(message as M)
    })
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

/** Inside the thread: the port to the server, a way to send it messages, and a logger that writes through it. */
export function threadPort<M>(name: string): { port: MessagePort; send(message: M): void; logger: Logger } {
  const port = parentPort
  if (!port) throw new Error(`the ${name} thread must run as a worker thread`)
  const send = (message: M | LogMessage) => port.postMessage(message)
  const log = (level: Level) => (obj: object, msg?: string) =>
    send({ type: 'log', level, obj: JSON.parse(JSON.stringify(obj, errorsAsObjects)) as object, msg })
  return {
    port,
    send,
    logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
  }
}

function errorsAsObjects(_key: string, value: unknown): unknown {
  return value instanceof Error ? { type: value.name, message: value.message, stack: value.stack } : value
}

/** Inside the thread: runs `runner` until the server says stop, then `close`s what the thread opened. */
export function serveRunner(port: MessagePort, runner: Runner, close: () => Promise<void>): void {
  runner.start()
  port.on('message', (message: unknown) => {
    if (message === 'kick') runner.kick()
    if (message === 'stop')
      void runner
        .stop()
        .then(close)
        .then(() => port.close())
  })
}
