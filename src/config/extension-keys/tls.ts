// TLS on both sides of a pool (nutcracker issues #446, #583, #647; nutcracker itself rejects every
// key here). Clients to the proxy: `tls_cert_file` and `tls_key_file` make the pool's listener
// speak TLS only; `tls_ca_cert_file` is the CA client certificates are checked against, and
// `tls_auth_clients: true` refuses a client without one. The proxy to its servers (and to the
// pool's sentinels and cluster nodes): `tls_server: true`, with `tls_server_ca_file` (the CA the
// servers' certificates are checked against; the system's CAs without it), `tls_server_name`
// (the name their certificates must carry, and SNI; the address's host without it), and
// `tls_server_cert_file`/`tls_server_key_file` when the servers ask clients for a certificate
// (redis-server's tls-auth-clients). The stats port stays plain.
import {ExtensionValueError, registerExtension} from '../extensions.js'
import type {PoolConfig} from '../types.js'

export const TLS_CERT_KEY = 'tls_cert_file'
export const TLS_KEY_KEY = 'tls_key_file'
export const TLS_CA_KEY = 'tls_ca_cert_file'
export const TLS_AUTH_CLIENTS_KEY = 'tls_auth_clients'
export const TLS_SERVER_KEY = 'tls_server'
export const TLS_SERVER_CA_KEY = 'tls_server_ca_file'
export const TLS_SERVER_NAME_KEY = 'tls_server_name'
export const TLS_SERVER_CERT_KEY = 'tls_server_cert_file'
export const TLS_SERVER_KEY_KEY = 'tls_server_key_file'

/** What the pool's listener needs to speak TLS to its clients. */
export interface ListenerTls {
  certFile: string
  keyFile: string
  caFile?: string
  /** a client without a certificate signed by caFile is refused */
  authClients: boolean
}

/** How the proxy reaches the pool's servers (and sentinels, cluster nodes) over TLS. */
export interface ServerTls {
  caFile?: string
  serverName?: string
  certFile?: string
  keyFile?: string
}

function parseBool(value: string | string[]): boolean {
  if (value === 'true') return true
  if (value === 'false') return false
  throw new ExtensionValueError(`"${String(value)}" is not "true" or "false"`, 'Write true or false in lower case.')
}

function parseFile(key: string): (value: string | string[]) => string {
  return (value) => {
    const text = String(value).trim()
    if (text === '') throw new ExtensionValueError(`${key} is empty`, `Give the path of a PEM file, or delete ${key}.`)
    return text
  }
}

/** A key that needs another one beside it. */
function requires(pool: PoolConfig, key: string, other: string, fix: string): void {
  if (pool.extensions[key] !== undefined && pool.extensions[other] === undefined) {
    throw new ExtensionValueError(`${key} is set without ${other}`, fix)
  }
}

registerExtension({
  key: TLS_CERT_KEY,
  description: 'the pool listens with TLS only, presenting this certificate (PEM) to its clients',
  value: 'scalar',
  parse: parseFile(TLS_CERT_KEY),
  format: (parsed) => String(parsed),
  check(pool) {
    requires(pool, TLS_CERT_KEY, TLS_KEY_KEY, `Add ${TLS_KEY_KEY}: the private key of ${TLS_CERT_KEY}.`)
    if (pool.listen.kind === 'unix') throw new ExtensionValueError('tls_cert_file is set on a pool that listens on a unix socket', 'TLS is for TCP listeners: listen on host:port, or remove the tls_ keys.')
  },
})
registerExtension({
  key: TLS_KEY_KEY,
  description: 'the private key (PEM) of tls_cert_file',
  value: 'scalar',
  parse: parseFile(TLS_KEY_KEY),
  format: (parsed) => String(parsed),
  check: (pool) => requires(pool, TLS_KEY_KEY, TLS_CERT_KEY, `Add ${TLS_CERT_KEY}: the certificate of ${TLS_KEY_KEY}.`),
})
registerExtension({
  key: TLS_CA_KEY,
  description: 'client certificates are checked against this CA (PEM)',
  value: 'scalar',
  parse: parseFile(TLS_CA_KEY),
  format: (parsed) => String(parsed),
  check: (pool) => requires(pool, TLS_CA_KEY, TLS_CERT_KEY, `Add ${TLS_CERT_KEY} and ${TLS_KEY_KEY}: a CA for client certificates needs a TLS listener.`),
})
registerExtension({
  key: TLS_AUTH_CLIENTS_KEY,
  description: 'true: a client without a certificate signed by tls_ca_cert_file is refused',
  value: 'scalar',
  parse: parseBool,
  format: (parsed) => String(parsed),
  check(pool, parsed) {
    if (parsed === true) requires(pool, TLS_AUTH_CLIENTS_KEY, TLS_CA_KEY, `Add ${TLS_CA_KEY}: the CA client certificates must be signed by.`)
  },
})
registerExtension({
  key: TLS_SERVER_KEY,
  description: 'the proxy reaches the servers (sentinels, cluster nodes) over TLS',
  value: 'scalar',
  parse: parseBool,
  format: (parsed) => String(parsed),
  check(pool, parsed) {
    if (parsed === true && pool.servers.some((server) => server.path !== undefined)) {
      throw new ExtensionValueError('tls_server is set on a pool with unix-socket servers', 'TLS is for TCP servers: list them as host:port, or remove tls_server.')
    }
  },
})
/** A tls_server_* key: needs tls_server, and a certificate needs its key (and the other way round). */
function serverKey(key: string, description: string, pairedWith?: {key: string; what: string}): void {
  registerExtension({
    key, description, value: 'scalar', parse: parseFile(key), format: (parsed) => String(parsed),
    check(pool) {
      requires(pool, key, TLS_SERVER_KEY, `Add "tls_server: true", or remove ${key}.`)
      if (pairedWith !== undefined) requires(pool, key, pairedWith.key, `Add ${pairedWith.key}: ${pairedWith.what} of ${key}.`)
    },
  })
}
serverKey(TLS_SERVER_CA_KEY, 'the CA (PEM) the servers\' certificates are checked against (default: the system\'s CAs)')
serverKey(TLS_SERVER_NAME_KEY, 'the name the servers\' certificates must carry, sent as SNI (default: each server\'s host)')
serverKey(TLS_SERVER_CERT_KEY, 'the certificate (PEM) the proxy presents to servers that ask for one (tls-auth-clients)', {key: TLS_SERVER_KEY_KEY, what: 'the private key'})
serverKey(TLS_SERVER_KEY_KEY, 'the private key (PEM) of tls_server_cert_file', {key: TLS_SERVER_CERT_KEY, what: 'the certificate'})

/** The pool's listener TLS settings, when its clients speak TLS. */
export function listenerTlsOf(pool: PoolConfig): ListenerTls | undefined {
  const certFile = pool.extensions[TLS_CERT_KEY] as string | undefined
  const keyFile = pool.extensions[TLS_KEY_KEY] as string | undefined
  if (certFile === undefined || keyFile === undefined) return undefined
  return {certFile, keyFile, caFile: pool.extensions[TLS_CA_KEY] as string | undefined, authClients: pool.extensions[TLS_AUTH_CLIENTS_KEY] === true}
}

/** How the proxy reaches the pool's servers over TLS, or undefined for plain TCP. */
export function serverTlsOf(pool: PoolConfig): ServerTls | undefined {
  if (pool.extensions[TLS_SERVER_KEY] !== true) return undefined
  const e = pool.extensions
  return {
    caFile: e[TLS_SERVER_CA_KEY] as string | undefined,
    serverName: e[TLS_SERVER_NAME_KEY] as string | undefined,
    certFile: e[TLS_SERVER_CERT_KEY] as string | undefined,
    keyFile: e[TLS_SERVER_KEY_KEY] as string | undefined,
  }
}
