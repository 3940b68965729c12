import { randomBytes } from 'node:crypto'
import { Webhook } from 'standardwebhooks'
import { describe, expect, it } from 'vitest'
import { isPublicAddress, urlProblem } from '../src/webhooks/address-policy.js'
import { MAX_ATTEMPTS, RETRY_DELAYS_MS, retryDelay } from '../src/webhooks/schedule.js'
import { newSecret, signedHeaders } from '../src/webhooks/signing.js'

describe('signing', () => {
  it('matches the Standard Webhooks reference vector', () => {
    const headers = signedHeaders(
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      1614265330,
      '{"test": 2432232314}',
    )
    expect(headers['webhook-signature']).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=')
  })

  it('signs what the standardwebhooks package verifies, with a fresh secret', () => {
    const secret = newSecret()
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    const body = JSON.stringify({
      type: 'app.created',
      timestamp: new Date().toISOString(),
      data: { é: '✓' },
    })
    const headers = signedHeaders(secret, 'evt1', Math.floor(Date.now() / 1000), body)
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body))
    expect(() => new Webhook(newSecret()).verify(body, headers)).toThrow()
    expect(() => new Webhook(secret).verify(`${body} `, headers)).toThrow()
  })

  it('gives every endpoint its own secret', () => {
    const secrets = new Set(Array.from({ length: 50 }, newSecret))
    expect(secrets.size).toBe(50)
  })
})

describe('address guard', () => {
  const refused = [
    '127.0.0.1',
    '127.255.255.254',
    '10.0.0.1',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '100.100.100.200',
    '0.0.0.0',
    '255.255.255.255',
    '224.0.0.1',
    '198.18.0.1',
    '::',
    '::1',
    'fe80::1',
    'fc00::1',
    'fd00:ec2::254',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    '::ffff:169.254.169.254',
    '0:0:0:0:0:ffff:7f00:1',
    '64:ff9b::a00:1',
    '2002:7f00:1::',
    '2001:db8::1',
    'ff02::1',
    'not-an-address',
  ]
  const allowed = [
    '8.8.8.8',
    '1.1.1.1',
    '93.184.215.14',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700:4700::1111',
    '::ffff:8.8.8.8',
  ]

  it.each(refused)('refuses %s', (address) => expect(isPublicAddress(address)).toBe(false))
  it.each(allowed)('allows %s', (address) => expect(isPublicAddress(address)).toBe(true))

  it('sees through the odd spellings of a loopback address in a URL', () => {
    for (const url of [
      'http://127.1/',
      'http://0x7f.0.0.1/',
      'http://2130706433/',
      'http://017700000001/',
      'http://[::ffff:7f00:1]/',
      'http://[0:0:0:0:0:0:0:1]:8080/x',
    ])
      expect(urlProblem(url, { allowPrivate: false }), url).toMatch(/non-public/)
    expect(urlProblem('http://127.0.0.1/', { allowPrivate: true })).toBeNull()
  })

  it('takes http and https URLs only, without credentials', () => {
    expect(urlProblem('https://hooks.example.com/in?x=1', { allowPrivate: false })).toBeNull()
    expect(urlProblem('ftp://hooks.example.com/', { allowPrivate: false })).toMatch(/http/)
    expect(urlProblem('file:///etc/passwd', { allowPrivate: false })).toMatch(/http/)
    expect(urlProblem('hooks.example.com/in', { allowPrivate: false })).toMatch(/absolute/)
    expect(urlProblem('https://user:pass@hooks.example.com/', { allowPrivate: false })).toMatch(/password/)
  })
})

describe('retry schedule', () => {
  it('retries 7 times over about a day, each delay within ±20 % of its step', () => {
    expect(MAX_ATTEMPTS).toBe(8)
    const nominal = RETRY_DELAYS_MS.reduce((a, b) => a + b, 0)
    expect(nominal / 3_600_000).toBeGreaterThan(24)
    expect(nominal / 3_600_000).toBeLessThan(30)
    for (let attempt = 1; attempt < MAX_ATTEMPTS; attempt++) {
      const base = RETRY_DELAYS_MS[attempt - 1] ?? 0
      expect(retryDelay(attempt, () => 0)).toBe(Math.round(base * 0.8))
      expect(retryDelay(attempt, () => 0.999999)).toBeLessThanOrEqual(Math.round(base * 1.2))
      const random = retryDelay(attempt, () => randomBytes(4).readUInt32BE() / 2 ** 32) ?? 0
      expect(random).toBeGreaterThanOrEqual(base * 0.8)
      expect(random).toBeLessThanOrEqual(base * 1.2)
    }
    expect(retryDelay(MAX_ATTEMPTS)).toBeNull()
    expect(retryDelay(MAX_ATTEMPTS + 1)).toBeNull()
  })
})
