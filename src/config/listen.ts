// The `listen:` value: "host:port" (split at the last ':', so "::1:22121" is host "::1"), or an
// absolute unix socket path with an optional octal permission after the last space. The host
// name itself is resolved separately (resolve.ts) because that needs the system resolver.
import {splitHostPort} from '../address.js'
import type {ListenAddress} from './types.js'
import {nutcrackerAtoi} from './nutcracker-text.js'

/** sizeof(sockaddr_un.sun_path) on Linux: the path and its terminating NUL must fit. */
export const UNIX_PATH_MAX = 108

export type ListenResult =
  | {ok: true; listen: ListenAddress}
  | {ok: false; problem: string; fix: string; nutcracker: string}

const directive = 'conf: directive "listen"'

export function parseListen(text: string): ListenResult {
  if (text.startsWith('/')) return parseUnixListen(text)
  const split = splitHostPort(text)
  if (split === undefined) {
    return {
      ok: false,
      problem: `"${text}" is not "host:port" or an absolute unix socket path`,
      fix: 'Write it as 127.0.0.1:22121, or /path/to/socket [0666].',
      nutcracker: `${directive} has an invalid "hostname:port" format string`,
    }
  }
  const portText = nutcrackerPortText(split.portText)
  // nutcracker keeps brackets as part of the host ("[::1]" then fails to resolve): the host is
  // everything before the port's ':'
  const host = text.slice(0, text.length - portText.length - 1)
  const port = nutcrackerAtoi(portText)
  if (port === undefined || port < 1 || port > 65535) {
    return {
      ok: false,
      problem: `"${portText}" in "${text}" is not a valid port`,
      fix: 'Use a port from 1 to 65535 written as plain digits, as in 127.0.0.1:22121.',
      nutcracker: `${directive} has an invalid port in "hostname:port" format string`,
    }
  }
  if (host.length === 0) {
    return {
      ok: false,
      problem: `"${text}" has no host before the port`,
      fix: 'Name the address to listen on, as in 127.0.0.1:22121 or 0.0.0.0:22121.',
      nutcracker: `${directive} has an invalid value`,
    }
  }
  return {ok: true, listen: {kind: 'tcp', host, port, text}}
}

/**
 * nutcracker's port is what follows the last ':'. splitHostPort takes everything after "]:" as
 * the port of a bracketed host, so a port text that still holds a ':' ("[::1]:1:2") is split
 * again until it does not.
 */
function nutcrackerPortText(portText: string): string {
  let split = splitHostPort(portText)
  while (split !== undefined) {
    portText = split.portText
    split = splitHostPort(portText)
  }
  return portText
}

function parseUnixListen(text: string): ListenResult {
  const space = text.lastIndexOf(' ')
  const path = space < 0 ? text : text.slice(0, space)
  let perm: number | undefined
  if (space >= 0) {
    perm = parseOctalLikeStrtol(text.slice(space + 1))
    if (perm === undefined || perm > 0o777) {
      return {
        ok: false,
        problem: `"${text.slice(space + 1)}" is not a valid socket permission`,
        fix: 'Write an octal mode no greater than 0777 after the path, as in /tmp/twemproxy.sock 0666.',
        nutcracker: `${directive} has an invalid file permission in "socket_path permission" format string`,
      }
    }
  }
  if (Buffer.byteLength(path, 'utf8') >= UNIX_PATH_MAX) {
    return {
      ok: false,
      problem: `the socket path is ${Buffer.byteLength(path, 'utf8')} bytes long, more than a unix socket allows`,
      fix: `Use a path shorter than ${UNIX_PATH_MAX} bytes.`,
      nutcracker: `${directive} has an invalid value`,
    }
  }
  return {ok: true, listen: {kind: 'unix', path, ...(perm === undefined ? {} : {perm}), text}}
}

/**
 * The permission is read with C's strtol(s, NULL, 8) and cast to a 32-bit mode_t: leading
 * white space and a sign are allowed, reading stops at the first non-octal character (so
 * "0888" and "abc" both read as 0), and only a value that overflows a 64-bit long fails.
 */
function parseOctalLikeStrtol(text: string): number | undefined {
  const match = /^[\t\n\v\f\r ]*([+-]?)([0-7]*)/.exec(text)!
  const digits = match[2] || '0'
  let value = BigInt(`0o${digits}`)
  if (match[1] === '-') value = -value
  if (value > 2n ** 63n - 1n || value < -(2n ** 63n)) return undefined
  return Number(BigInt.asUintN(32, value))
}
