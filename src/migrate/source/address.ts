// HOST:PORT lists as users type them on the command line (--from, --to-cluster).
import {UserError} from '../../errors.js'

export interface Address {
  host: string
  port: number
  /** "host:port" */
  text: string
}

export function parseAddress(text: string, flag: string): Address {
  const trimmed = text.trim()
  const colon = trimmed.lastIndexOf(':')
  const host = colon > 0 ? trimmed.slice(0, colon) : ''
  const port = Number(trimmed.slice(colon + 1))
  if (!host || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UserError(`${flag} "${text}" is not HOST:PORT: write it like 127.0.0.1:6379.`)
  }
  return {host, port, text: `${host}:${port}`}
}

export function parseAddressList(text: string, flag: string): Address[] {
  const parts = text.split(',').map((part) => part.trim()).filter(Boolean)
  if (parts.length === 0) throw new UserError(`${flag} is empty: give one or more HOST:PORT separated by commas.`)
  const addresses = parts.map((part) => parseAddress(part, flag))
  const seen = new Set<string>()
  for (const address of addresses) {
    if (seen.has(address.text)) throw new UserError(`${flag} lists ${address.text} twice: name each server once.`)
    seen.add(address.text)
  }
  return addresses
}
