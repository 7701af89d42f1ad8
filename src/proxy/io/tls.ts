// TLS for twproxy, on both sides of a pool (the tls_* pool keys, config/tls.ts): the options of a
// pool's TLS listener, and of every connection the proxy opens to the pool's servers, sentinels
// and cluster nodes (raw data-path sockets and ioredis control clients take the same options).
// PEM files are read when the pool is built (start or reload); one that cannot be read stops
// that with a sentence naming the key and the file. The stats port never speaks TLS.
// node:tls (and OpenSSL's setup with it) is loaded at the first use: a proxy without TLS pools
// never loads it.
import {readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import net, {isIP} from 'node:net'
import type tls from 'node:tls'
import type {ListenerTls, ServerTls} from '../../config/extension-keys/tls.js'
import {errnoText} from './errno.js'

const require = createRequire(import.meta.url)
let tlsModule: typeof tls | undefined

/** node:tls, loaded the first time a pool needs it. */
function tlsApi(): typeof tls {
  return (tlsModule ??= require('node:tls') as typeof tls)
}

/** A tls_* file of a pool that cannot be read. */
export class TlsFileError extends Error {}

function readPem(pool: string, key: string, file: string): Buffer {
  try {
    return readFileSync(file)
  } catch (error) {
    throw new TlsFileError(`pool '${pool}': ${key} '${file}' cannot be read: ${errnoText(error)}`)
  }
}

/** tls.createServer options of a pool's listener. */
export function listenerTlsOptions(pool: string, settings: ListenerTls): tls.TlsOptions {
  const options: tls.TlsOptions = {
    cert: readPem(pool, 'tls_cert_file', settings.certFile),
    key: readPem(pool, 'tls_key_file', settings.keyFile),
  }
  if (settings.caFile !== undefined) {
    options.ca = readPem(pool, 'tls_ca_cert_file', settings.caFile)
    // a certificate is asked for whenever a CA is given; only tls_auth_clients makes it required
    options.requestCert = true
    options.rejectUnauthorized = settings.authClients
  }
  return options
}

/**
 * tls.connect options (without host and port) for the pool's servers; also given to ioredis as
 * its `tls` option. With tls_server_name the certificate must carry that name (and it is sent as
 * SNI); otherwise the address's own host, as any TLS client checks it.
 */
export function serverTlsOptions(pool: string, settings: ServerTls): tls.ConnectionOptions {
  const options: tls.ConnectionOptions = {}
  if (settings.caFile !== undefined) options.ca = readPem(pool, 'tls_server_ca_file', settings.caFile)
  if (settings.certFile !== undefined) options.cert = readPem(pool, 'tls_server_cert_file', settings.certFile)
  if (settings.keyFile !== undefined) options.key = readPem(pool, 'tls_server_key_file', settings.keyFile)
  const name = settings.serverName
  if (name !== undefined) {
    if (isIP(name) === 0) options.servername = name
    options.checkServerIdentity = (_host, cert) => tlsApi().checkServerIdentity(name, cert)
  }
  return options
}

/**
 * A TLS connection to host:port, with net's `onread` when given (socket-read.ts): tls.connect
 * passes it to the socket underneath as net.connect does, though its types do not say so.
 */
export function connectTls(host: string, port: number, options: tls.ConnectionOptions, onread?: net.OnReadOpts): tls.TLSSocket {
  // SNI carries names only: an IP address is checked against the certificate, never sent
  const servername = options.servername ?? (isIP(host) === 0 ? host : undefined)
  return tlsApi().connect({...options, host, port, servername, ...(onread === undefined ? {} : {onread})} as tls.ConnectionOptions)
}

/** A TLS listening server: `onSecure` gets each client once its handshake is done. */
export function createTlsServer(options: tls.TlsOptions, onSecure: (socket: tls.TLSSocket) => void): tls.Server {
  return tlsApi().createServer(options, onSecure)
}
