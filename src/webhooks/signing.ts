import { createHmac, randomBytes } from 'node:crypto'

// Standard Webhooks (https://www.standardwebhooks.com): a secret is `whsec_` + base64 of random bytes; the
// signature of a message is base64(HMAC-SHA256(secret bytes, "<id>.<timestamp>.<body>")), sent as `v1,<sig>`.

export function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`
}

/** The three headers of a signed delivery. `timestamp` is in seconds since the epoch. */
export function signedHeaders(
  secret: string,
  id: string,
  timestamp: number,
  body: string,
): Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string> {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64')
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': `v1,${signature}`,
  }
}
