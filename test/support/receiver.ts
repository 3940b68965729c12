import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Webhook } from 'standardwebhooks'

// A webhook receiver on 127.0.0.1, as a customer would run one: it records every request and answers what the
// test tells it to. Signatures are checked with the `standardwebhooks` package, not with orgspace's own code.

export interface Received {
  headers: IncomingHttpHeaders
  body: string
  /** The body, parsed. */
  event: { type: string; timestamp: string; data: Record<string, any> }
  /** When it arrived (Date.now()). */
  at: number
}

export interface Receiver {
  url: string
  received: Received[]
  /** Decides each answer's status, given the request and how many came before it. */
  respond: (request: Received, index: number) => number | Promise<number>
  /** The requests whose signature verifies with `secret` (standardwebhooks); throws on any that does not. */
  verified(secret: string): Received[]
  close(): Promise<void>
}

export async function startReceiver(path = '/hook'): Promise<Receiver> {
  const receiver: Receiver = {
    url: '',
    received: [],
    respond: () => 200,
    verified(secret) {
      const webhook = new Webhook(secret)
      for (const request of receiver.received)
        webhook.verify(request.body, request.headers as Record<string, string>)
      return receiver.received
    },
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const request: Received = { headers: req.headers, body, event: JSON.parse(body), at: Date.now() }
      const index = receiver.received.length
      receiver.received.push(request)
      res.statusCode = await receiver.respond(request, index)
      res.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`
  return receiver
}
