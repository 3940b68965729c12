import type { Transporter } from 'nodemailer'
import type { MailMessage } from './messages.js'

export interface Mailer {
  send(message: MailMessage): Promise<void>
  close(): void
}

/**
 * Sends through the SMTP server of SMTP_URL (`smtp://` or `smtps://`, credentials in the URL). nodemailer is
 * loaded with the first message: most processes never send one, and loading it took a third of a second of
 * every start.
 */
export function smtpMailer(url: string, from: string, timeoutMs: number): Mailer {
  let transport: Promise<Transporter> | undefined
  const open = async () => {
    const { default: nodemailer } = await import('nodemailer')
    return nodemailer.createTransport({
      url,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    })
  }
  return {
    async send(message) {
      transport ??= open()
      await (await transport).sendMail({ ...message, from })
    },
    close: () =>
      void transport?.then(
        (t) => t.close(),
        () => undefined,
      ),
  }
}
