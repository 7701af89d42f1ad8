// One `servers:` entry: "host:port:weight [name]" or "/path/unix_socket:weight [name]".
// nutcracker parses it from the right: the last ' ' starts the optional name, the last ':'
// before it the weight, and (TCP only) the ':' before that the port; the address is whatever
// is left. We follow the same steps so the same strings are accepted and get the same names.
import type {ServerConfig} from './types.js'
import {nutcrackerAtoi} from './nutcracker-text.js'

/** For libmemcached compatibility, a server on this port is named by its host alone. */
export const KETAMA_DEFAULT_PORT = 11211

export type ServerEntryResult =
  | {ok: true; server: ServerConfig; explicitName: boolean}
  | {ok: false; problem: string; fix: string; nutcracker: string}

const directive = 'conf: directive "servers"'

/** lastIndexOf(ch) within text[0, end), or -1 (String#lastIndexOf would look at index 0 for end 0). */
function lastIndexBefore(text: string, ch: string, end: number): number {
  return end <= 0 ? -1 : text.lastIndexOf(ch, end - 1)
}

export function parseServerEntry(text: string): ServerEntryResult {
  const unix = text.startsWith('/')
  let end = text.length
  let name: string | undefined
  const space = lastIndexBefore(text, ' ', end)
  if (space >= 0) {
    name = text.slice(space + 1, end)
    end = space
  }
  const weightColon = lastIndexBefore(text, ':', end)
  const portColon = weightColon < 0 ? -1 : lastIndexBefore(text, ':', weightColon)
  if (weightColon < 0 || (unix ? portColon >= 0 : portColon < 0)) {
    return {
      ok: false,
      problem: unix
        ? `"${text}" is not "/path/unix_socket:weight [name]" (a unix socket path cannot contain ':')`
        : `"${text}" is not "host:port:weight [name]"`,
      fix: 'Write each server as host:port:weight with an optional name after a space, as in 127.0.0.1:6379:1 server1.',
      nutcracker: `${directive} has an invalid "hostname:port:weight [name]"or "/path/unix_socket:weight [name]" format string`,
    }
  }
  const weightText = text.slice(weightColon + 1, end)
  const weight = nutcrackerAtoi(weightText)
  if (weight === undefined || weight === 0) {
    const zero = weight === 0
    return {
      ok: false,
      problem: zero ? `"${text}" has a zero weight` : `"${weightText}" in "${text}" is not a valid weight`,
      fix: name !== undefined && !zero && /\s/.test(weightText + name)
        ? 'A server name cannot contain spaces or tabs: use one word after a single space.'
        : 'The weight is a whole number of 1 or more, as in 127.0.0.1:6379:1.',
      nutcracker: zero
        ? `${directive} has a zero weight in "hostname:port:weight [name]" format string`
        : `${directive} has an invalid weight in "hostname:port:weight [name]" format string`,
    }
  }
  const addressEnd = unix ? weightColon : portColon
  const host = text.slice(0, addressEnd)
  let port = 0
  let portText = ''
  if (!unix) {
    portText = text.slice(portColon + 1, weightColon)
    const parsed = nutcrackerAtoi(portText)
    if (parsed === undefined || parsed < 1 || parsed > 65535) {
      return {
        ok: false,
        problem: `"${portText}" in "${text}" is not a valid port`,
        fix: 'Use a port from 1 to 65535 written as plain digits, as in 127.0.0.1:6379:1.',
        nutcracker: `${directive} has an invalid port in "hostname:port:weight [name]" format string`,
      }
    }
    port = parsed
  }
  // Without a name: the host for port 11211, else "host:port" exactly as written; for a unix
  // socket that rule keeps the ':' after the path ("/tmp/redis.sock:").
  const implied = !unix && port === KETAMA_DEFAULT_PORT ? host : text.slice(0, addressEnd + 1 + portText.length)
  const explicitName = name !== undefined
  const server: ServerConfig = {
    name: explicitName ? name! : implied,
    address: unix ? host : `${host}:${portText}`,
    host,
    port,
    ...(unix ? {path: host} : {}),
    weight,
    pname: explicitName && name!.length > 0 ? text.slice(0, text.length - name!.length - 1) : text,
  }
  return {ok: true, server, explicitName}
}

/** The entry to write for a server: "host:port:weight" plus " name" when the name is not the implied one. */
export function formatServerEntry(server: Pick<ServerConfig, 'address' | 'weight' | 'name' | 'path' | 'port' | 'host'>): string {
  const base = `${server.address}:${server.weight}`
  const implied = server.path !== undefined ? `${server.address}:` : server.port === KETAMA_DEFAULT_PORT ? server.host : server.address
  return server.name === implied ? base : `${base} ${server.name}`
}
