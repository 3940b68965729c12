import type { Config } from '../config.js'
import type { Logger } from '../core/logger.js'
import { smtpMailer } from '../mail/transport.js'
import { systemResolver, type AddressPolicy, type Resolver } from '../webhooks/address-policy.js'
import { createSender } from '../webhooks/send.js'
import type { DeliveryWorkerOptions } from './worker.js'

/** The address guard for organizations' endpoints, as configured. */
export function addressPolicy(config: Config, resolve: Resolver = systemResolver): AddressPolicy {
  return { allowPrivate: config.WEBHOOK_ALLOW_PRIVATE === 'true', resolve }
}

/**
 * A delivery worker's settings from the configuration, the same for the server and `orgspace worker`.
 * `close()` releases the connections the sender and the mailer keep open.
 */
export function deliveryOptions(
  config: Config,
  logger: Logger,
  resolve?: Resolver,
): DeliveryWorkerOptions & { close(): void } {
  const sender = createSender(
    addressPolicy(config, resolve),
    config.WEBHOOK_TIMEOUT_MS,
    config.WEBHOOK_CONCURRENCY,
  )
  // The instance endpoint is the operator's own choice, often on their own network: no address guard.
  const trusted = createSender(
    { allowPrivate: true, resolve: resolve ?? systemResolver },
    config.WEBHOOK_TIMEOUT_MS,
    config.WEBHOOK_CONCURRENCY,
  )
  const mailer =
    config.SMTP_URL === '' ? null : smtpMailer(config.SMTP_URL, config.SMTP_FROM, config.WEBHOOK_TIMEOUT_MS)
  return {
    pollMs: config.EVENT_POLL_MS,
    heartbeatMs: config.WORKER_HEARTBEAT_MS,
    concurrency: config.WEBHOOK_CONCURRENCY,
    timeoutMs: config.WEBHOOK_TIMEOUT_MS,
    sender,
    instance:
      config.WEBHOOK_URL === ''
        ? null
        : { url: config.WEBHOOK_URL, secret: config.WEBHOOK_SECRET, sender: trusted },
    mailer,
    logger,
    close() {
      sender.close()
      trusted.close()
      mailer?.close()
    },
  }
}
