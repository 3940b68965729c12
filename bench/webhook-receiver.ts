import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

// Scenario 9's webhook receiver, in a process of its own: in the harness's process, receiving deliveries would
// delay its reading of the very answers whose latency it measures. Answers every POST with 200 at once and
// counts distinct webhook-ids; GET /stats tells how many, and when the first and the last arrived (epoch ms).

const ids = new Set<string>()
let firstAt: number | null = null
let lastAt: number | null = null

const server = createServer((req, res) => {
  if (req.method === 'GET') {
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ received: ids.size, firstAt, lastAt }))
    return
  }
  if (req.url === '/reset') {
    ids.clear()
    firstAt = lastAt = null
    res.end()
    return
  }
  req.resume()
  req.on('end', () => {
    ids.add(String(req.headers['webhook-id']))
    firstAt ??= Date.now()
    lastAt = Date.now()
    res.end()
  })
})
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`)
})
process.once('SIGTERM', () => server.close(() => process.exit(0)))
