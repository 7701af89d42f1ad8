// TLS and the ACL user of the tools' clients, decided in one place for client-factory.ts, as
// redis-cli takes them: --tls with --cacert/--cert/--key, and --user. Three sources, first wins:
//  1. a client's own `tls` option (a caller that knows better);
//  2. what is known of the address: a lab made with `twlab up --tls` registers every node (and
//     its proxy) when it is loaded, so a lab is reached with its own certificates by every tool,
//     without flags, even beside a plain lab in the same command;
//  3. the command's flags (src/cli/target-flags.ts sets them once, after parsing).
// PEM files are read once per path; one that cannot be read is one sentence naming it.
import {readFileSync} from 'node:fs'
import type {ConnectionOptions} from 'node:tls'
import {type Address, formatAddress} from '../address.js'
import {describeSystemError, UserError} from '../errors.js'

/** TLS as redis-cli's flags give it: files, all optional (no CA: the system's CAs). */
export interface TlsFiles {
  /** --cacert: the CA the server's certificate must be signed by */
  caFile?: string
  /** --cert/--key: the client certificate, for servers that ask for one (tls-auth-clients) */
  certFile?: string
  keyFile?: string
  /** the name the server's certificate must carry (default: the host) */
  serverName?: string
}

let commandTls: TlsFiles | undefined
let commandUser: string | undefined
const byAddress = new Map<string, TlsFiles>()
const pem = new Map<string, Buffer>()

/** The command's own --tls/--cacert/--cert/--key and --user (undefined: not given). */
export function setCommandAccess(access: {tls?: TlsFiles; username?: string}): void {
  commandTls = access.tls
  commandUser = access.username
}

/** These addresses speak TLS with these files (a lab's nodes and proxy). */
export function registerTls(addresses: Address[], tls: TlsFiles): void {
  for (const address of addresses) byAddress.set(formatAddress(address), tls)
}

/** The ACL user of the command's --user, for clients given a password but no user. */
export function defaultUsername(): string | undefined {
  return commandUser
}

function readPem(file: string, flag: string): Buffer {
  let data = pem.get(file)
  if (data === undefined) {
    try {
      data = readFileSync(file)
    } catch (error) {
      const why = describeSystemError(error, `The ${flag} file ${file}`) ?? `The ${flag} file ${file} cannot be read: ${(error as Error).message}.`
      throw new UserError(why, {hint: 'Give the path of a PEM file.'})
    }
    pem.set(file, data)
  }
  return data
}

/** ioredis's `tls` option for a client of `address`, or undefined for plain TCP. */
export function tlsFor(address: Address, own?: TlsFiles): ConnectionOptions | undefined {
  const files = own ?? byAddress.get(formatAddress(address)) ?? commandTls
  if (files === undefined) return undefined
  const options: ConnectionOptions = {}
  if (files.caFile !== undefined) options.ca = readPem(files.caFile, '--cacert')
  if (files.certFile !== undefined) options.cert = readPem(files.certFile, '--cert')
  if (files.keyFile !== undefined) options.key = readPem(files.keyFile, '--key')
  if (files.serverName !== undefined) options.servername = files.serverName
  return options
}
