import nodemailer from 'nodemailer'
import type { MailMessage } from './messages.js'

export interface Mailer {
  send(message: MailMessage): Promise<void>
  close(): void
}

/** Sends through the SMTP server of SMTP_URL (`smtp://` or `smtps://`, credentials in the URL). */
export function smtpMailer(url: string, from: string, timeoutMs: number): Mailer {
  const transport = nodemailer.createTransport({
    url,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  })
  return {
    async send(message) {
      await transport.sendMail({ ...message, from })
    },
    close: () => transport.close(),
  }
}
