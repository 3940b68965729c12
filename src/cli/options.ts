import { InvalidArgumentError } from 'commander'

// Parsers for option values: a bad value is a usage error (exit 2) that names the option.

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

export function emailAddress(value: string): string {
  const email = value.trim()
  if (!EMAIL.test(email)) throw new InvalidArgumentError('Not an email address.')
  return email
}

export function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('Not a whole number.')
  const n = Number(value)
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('Too large.')
  return n
}
