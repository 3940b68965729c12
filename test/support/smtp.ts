import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'

// An SMTP server on 127.0.0.1 that accepts everything and records what it was given: envelope and message.

export interface ReceivedMail {
  from: string
  to: string[]
  /** The raw message (headers and MIME parts). */
  raw: string
  /** A header's value, e.g. header('subject'). */
  header(name: string): string | undefined
  /** The text/plain part, quoted-printable decoded. */
  text: string
}

export interface MailServer {
  url: string
  port: number
  mails: ReceivedMail[]
  close(): Promise<void>
}

/** Undoes quoted-printable: soft line breaks and =XX escapes (the encoding nodemailer uses for text). */
function decodeQuotedPrintable(text: string): string {
  const bytes = text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, hex: string) => `%${hex}`)
  return decodeURIComponent(bytes.replace(/%(?![0-9A-F]{2})/g, '%25'))
}

/** Undoes RFC 2047 encoded words (=?UTF-8?Q?…?= and =?UTF-8?B?…?=) in a header value. */
function decodeHeader(value: string): string {
  return (
    value
      // Adjacent words are one text, which may be split anywhere, even inside an escape.
      .replace(/\?=\s+=\?UTF-8\?Q\?/gi, '')
      .replace(/=\?UTF-8\?([QB])\?([^?]*)\?=/gi, (_m, encoding: string, text: string) =>
        encoding.toUpperCase() === 'B'
          ? Buffer.from(text, 'base64').toString('utf8')
          : decodeQuotedPrintable(text.replace(/_/g, ' ')),
      )
  )
}

function textPart(raw: string): string {
  const match =
    /Content-Type: text\/plain[^\r\n]*\r\n(?:[^\r\n]+\r\n)*?Content-Transfer-Encoding: ([\w-]+)\r\n\r\n([\s\S]*?)\r\n(?:--|$)/i.exec(
      raw,
    )
  if (!match?.[2]) return ''
  const encoding = match[1]?.toLowerCase()
  if (encoding === 'base64') return Buffer.from(match[2], 'base64').toString('utf8')
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(match[2])
  return match[2]
}

export async function startMailServer(port = 0): Promise<MailServer> {
  const mails: ReceivedMail[] = []
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8')
        const headerBlock = raw.split(/\r\n\r\n/)[0] ?? ''
        const unfolded = headerBlock.replace(/\r\n[ \t]+/g, ' ')
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          header: (name) => {
            const value = new RegExp(`^${name}: (.*)$`, 'im').exec(unfolded)?.[1]?.trim()
            return value === undefined ? undefined : decodeHeader(value)
          },
          text: textPart(raw),
        })
        callback()
      })
    },
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })
  const address = (server.server.address() as AddressInfo).port
  return {
    url: `smtp://127.0.0.1:${address}`,
    port: address,
    mails,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
