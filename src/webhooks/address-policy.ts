import { lookup } from 'node:dns/promises'
import { BlockList, isIP, type LookupFunction } from 'node:net'

// Endpoints are URLs chosen by users, and the server calls them: without a guard, anyone able to add an
// endpoint could make orgspace request its own network — a database admin page, a cloud metadata service. Only
// public unicast addresses are allowed, checked on the URL when it is saved and again on every address its name
// resolves to when it is called (a name can be made to resolve elsewhere later: DNS rebinding). The request
// then connects to exactly the address that was checked. WEBHOOK_ALLOW_PRIVATE=true turns the guard off, for
// a deployment whose receivers are on its own network (and for tests).

const BLOCKED = new BlockList()
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network", including the unspecified 0.0.0.0
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT (also where some clouds put their metadata service)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, including 169.254.169.254, the usual cloud metadata address
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relays
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and the broadcast address
] as const)
  BLOCKED.addSubnet(network, prefix, 'ipv4')
for (const [network, prefix] of [
  ['::', 96], // unspecified (::), loopback (::1) and the deprecated IPv4-compatible addresses
  ['::ffff:0:0:0', 96], // IPv4-translated
  ['64:ff9b::', 96], // NAT64: an IPv4 address behind a translator
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard
  ['2001::', 23], // IETF protocol assignments, including Teredo
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4: an IPv4 address inside
  ['fc00::', 7], // unique local, including fd00:ec2::254 (a cloud metadata address)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const)
  BLOCKED.addSubnet(network, prefix, 'ipv6')
// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are checked against the IPv4 rules by BlockList itself.

/** Whether `address` (an IP literal) is a public unicast address a webhook may be sent to. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address)
  if (family === 0) return false
  return !BLOCKED.check(address, family === 4 ? 'ipv4' : 'ipv6')
}

interface ResolvedAddress {
  address: string
  family: number
}

/** Every address a host name resolves to. Injectable so that tests can make a name resolve anywhere. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>

export const systemResolver: Resolver = (hostname) => lookup(hostname, { all: true, verbatim: true })

export interface AddressPolicy {
  allowPrivate: boolean
  resolve: Resolver
}

export class AddressRefused extends Error {
  constructor(readonly host: string) {
    super(`${host} is a private, loopback, link-local or otherwise non-public address`)
    this.name = 'AddressRefused'
  }
}

/** The URL's host without IPv6 brackets: a name or an IP literal. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1')
}

const REFUSED = 'must not point at a private, loopback, link-local or otherwise non-public address'
// A receiver on the same machine or network is what a first try usually points at: the message names the setting.
const ALLOW = "the server's operator can allow such addresses with WEBHOOK_ALLOW_PRIVATE=true"

/**
 * What is wrong with `text` as an endpoint URL without looking anything up, or null. WHATWG URL parsing has
 * already turned the odd spellings of an address (`http://2130706433`, `http://0x7f.1`) into the canonical one.
 */
export function urlProblem(text: string, policy: Pick<AddressPolicy, 'allowPrivate'>): string | null {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return 'must be an absolute http:// or https:// URL'
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http:// or https:// URL'
  if (url.username !== '' || url.password !== '') return 'must not contain a user name or password'
  const host = hostOf(url)
  if (!policy.allowPrivate && isIP(host) !== 0 && !isPublicAddress(host)) return `${REFUSED}; ${ALLOW}`
  return null
}

/**
 * Resolves the URL's host name and refuses it if any of its addresses is not public. A name that does not
 * resolve (yet) is let through: it is checked again at every delivery.
 */
export async function resolvedHostProblem(text: string, policy: AddressPolicy): Promise<string | null> {
  const host = hostOf(new URL(text))
  if (policy.allowPrivate || isIP(host) !== 0) return null
  const addresses = await policy.resolve(host).catch(() => [])
  return addresses.some((a) => !isPublicAddress(a.address))
    ? `${REFUSED} (${host} resolves to one); ${ALLOW}`
    : null
}

/**
 * A `lookup` for http.request that resolves through the policy and hands the socket only addresses it has
 * checked: the connection goes to the address that passed, whatever the name resolves to a moment later.
 */
export function guardedLookup(policy: AddressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    policy.resolve(hostname).then(
      (addresses) => {
        const wanted = options.family ? addresses.filter((a) => a.family === options.family) : addresses
        const first = wanted[0]
        if (!first) {
          const error: NodeJS.ErrnoException = new Error(`${hostname} does not resolve`)
          error.code = 'ENOTFOUND'
          return callback(error, '', 0)
        }
        if (!policy.allowPrivate && addresses.some((a) => !isPublicAddress(a.address)))
          return callback(new AddressRefused(hostname), '', 0)
        if (options.all) return callback(null, wanted)
        callback(null, first.address, first.family)
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    )
  }
}
