// Server addresses as people and files write them: "host:port", "[::1]:7000", or nutcracker's
// bare form "::1:7000" where the last ':' starts the port. One parser for every layer (the
// proxy's config, the tools' flags, CLUSTER NODES and Sentinel replies), so an address that one
// command accepts is accepted by all of them, and refused with the same sentence.
import {UserError} from './errors.js'

export interface Address {
  host: string
  port: number
}

/**
 * Splits at the port: brackets around an IPv6 host are removed, otherwise the last ':' starts the
 * port. The port text is returned as written so callers with their own rules for it (nutcracker's
 * atoi) can apply them. undefined when there is no ':' at all.
 */
export function splitHostPort(text: string): {host: string; portText: string} | undefined {
  const bracketed = /^\[([^\]]*)\]:(.*)$/.exec(text)
  if (bracketed) return {host: bracketed[1], portText: bracketed[2]}
  const colon = text.lastIndexOf(':')
  if (colon < 0) return undefined
  return {host: text.slice(0, colon), portText: text.slice(colon + 1)}
}

/** A port as users write it: 1 to 65535, plain digits. */
export function parsePort(text: string): number | undefined {
  if (!/^[0-9]{1,5}$/.test(text)) return undefined
  const port = Number(text)
  return port >= 1 && port <= 65535 ? port : undefined
}

/** "host:port" into an Address, or undefined when it is not one (no host, no valid port). */
export function tryParseAddress(text: string, defaultHost?: string): Address | undefined {
  const trimmed = text.trim()
  const split = splitHostPort(trimmed)
  if (!split) {
    const port = defaultHost === undefined ? undefined : parsePort(trimmed)
    return port === undefined ? undefined : {host: defaultHost!, port}
  }
  const port = parsePort(split.portText)
  const host = split.host === '' ? defaultHost : split.host
  if (port === undefined || !host) return undefined
  return {host, port}
}

export interface ParseAddressOptions {
  /** how the value is named in the error: `--cluster`, `sentinel`, `CLUSTER NODES entry` */
  what: string
  /** the example of the sentence's fix */
  example?: string
  /** a bare port (or ":port") means this host */
  defaultHost?: string
}

/** "host:port" into an Address; anything else is a UserError naming the value and the fix. */
export function parseAddress(text: string, options: ParseAddressOptions): Address {
  const address = tryParseAddress(text, options.defaultHost)
  if (!address) {
    throw new UserError(`${options.what} "${text}" is not HOST:PORT: write it like ${options.example ?? '127.0.0.1:6379'}.`)
  }
  return address
}

/** The text form used as a key and shown to users: "host:port", as Redis prints addresses. */
export function formatAddress(address: Address): string {
  return `${address.host}:${address.port}`
}

/**
 * "host:port,host:port,..." (a server list on the command line) into Addresses, in the order
 * given: every entry parsed by parseAddress, and one server named twice is refused, since a list
 * of servers that each play a part (sources, seeds) means each one once.
 */
export function parseAddressList(text: string, options: ParseAddressOptions): Address[] {
  const parts = text.split(',').map((part) => part.trim()).filter(Boolean)
  if (parts.length === 0) throw new UserError(`${options.what} is empty: give one or more HOST:PORT separated by commas.`)
  const addresses = parts.map((part) => parseAddress(part, options))
  const seen = new Set<string>()
  for (const address of addresses) {
    const shown = formatAddress(address)
    if (seen.has(shown)) throw new UserError(`${options.what} lists ${shown} twice: name each server once.`)
    seen.add(shown)
  }
  return addresses
}
