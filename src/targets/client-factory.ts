// Every ioredis client the tools open comes from here, so what happens when a server is slow,
// restarting or gone is decided once per kind of work, by name, instead of by whoever wrote the
// `new Redis` call. The policies:
// - `probe`: one try, no reconnect. Status, checks, admin commands and a proxy's own port: a node
//   that is paused or down must show as such at once, not after retries.
// - `admin`: brief reconnects (up to about 2 s), then commands fail. Slot moves and cluster
//   changes, which must notice a dead node rather than hang on it, but ride over a blip.
// - `patient`: reconnects for about 20 s, several retries per command. Long copies (migrate's
//   sources), where a stop costs a resume and a short outage should not.
// - `watch`: reconnects every 50 ms until told to stop. A load generator under fault injection
//   (check consistency), which must count the failures of an outage and carry on after it.
// - clusters (`createClusterClient`): routed by the slot map, following MOVED/ASK/TRYAGAIN and
//   failovers; `patient` waits out a failover (then gives up), `watch` refreshes until stopped.
// Errors reach callers through the commands that fail; each client has an 'error' listener so
// ioredis never prints them and an unhandled 'error' event never crashes a command.
//
// TLS and the ACL user, for every client, are decided here too (connection-access.ts): a client's
// own `tls`, else what is known of its address (a lab made with --tls registers its nodes), else
// the command's --tls/--cacert/--cert/--key/--user flags.
import {Cluster, Redis, type ClusterOptions, type RedisOptions} from 'ioredis'
import type {Address} from '../address.js'
import {defaultUsername, tlsFor, type TlsFiles} from './connection-access.js'

export type ClientPolicy = 'probe' | 'admin' | 'patient' | 'watch'

/** How a server is reached: TCP, or a unix socket path (nutcracker pools may list those). */
export type Endpoint = Address | {path: string}

export interface ServerAuth {
  /** an ACL user; the default user when absent */
  username?: string
  password?: string
  /** TLS for this client; absent: what is known of the address, or the command's flags */
  tls?: TlsFiles
}

export interface ClientOptions extends ServerAuth {
  policy: ClientPolicy
  db?: number
  /** CLIENT SETNAME, shown in CLIENT LIST of the server */
  name?: string
  connectTimeoutMs?: number
  /** a command that gets no reply in this time fails (default: none) */
  commandTimeoutMs?: number
  /** connect on the first command instead of at once (default true) */
  lazyConnect?: boolean
  /**
   * a twemproxy, not a server: it answers neither INFO (ioredis's ready check) nor CLIENT SETINFO
   * (nutcracker closes the connection on CLIENT), so both are skipped
   */
  proxy?: boolean
  /**
   * false: ioredis sends nothing of its own before the caller's first command (no INFO ready
   * check, no CLIENT SETINFO), so a paused node fails that command on commandTimeoutMs instead of
   * holding it behind a handshake that has no timeout (default true; a proxy implies false)
   */
  handshake?: boolean
  /** stop reconnecting from now on (a command that is closing down) */
  stopRetrying?: () => boolean
}

const POLICY: Record<ClientPolicy, Pick<RedisOptions, 'maxRetriesPerRequest'> & {reconnects: number; minDelayMs?: number; maxDelayMs: number}> = {
  probe: {maxRetriesPerRequest: 1, reconnects: 0, maxDelayMs: 0},
  admin: {maxRetriesPerRequest: 2, reconnects: 5, maxDelayMs: 500},
  patient: {maxRetriesPerRequest: 5, reconnects: 20, maxDelayMs: 1000},
  watch: {maxRetriesPerRequest: 1, reconnects: Infinity, minDelayMs: 50, maxDelayMs: 50},
}

function retryStrategy(policy: ClientPolicy, stopRetrying?: () => boolean): (times: number) => number | null {
  const {reconnects, minDelayMs, maxDelayMs} = POLICY[policy]
  return (times) => (stopRetrying?.() || times > reconnects ? null : Math.min(minDelayMs ?? times * 100, maxDelayMs))
}

function redisOptions(options: ClientOptions, endpoint: Endpoint): RedisOptions {
  return {
    username: options.username ?? (options.password === undefined ? undefined : defaultUsername()),
    password: options.password,
    tls: 'path' in endpoint ? undefined : tlsFor(endpoint, options.tls),
    db: options.db ?? 0,
    connectionName: options.name,
    lazyConnect: options.lazyConnect ?? true,
    connectTimeout: options.connectTimeoutMs ?? 3000,
    commandTimeout: options.commandTimeoutMs,
    maxRetriesPerRequest: POLICY[options.policy].maxRetriesPerRequest,
    retryStrategy: retryStrategy(options.policy, options.stopRetrying),
    // Off: ioredis groups auto-pipelines by the key as a string, which misroutes binary keys;
    // the tools pipeline per node themselves.
    enableAutoPipelining: false,
    ...(options.proxy || options.handshake === false ? {enableReadyCheck: false, disableClientInfo: true} : {}),
  }
}

/** A client for one server (or one proxy port). */
export function createClient(endpoint: Endpoint, options: ClientOptions): Redis {
  const client = new Redis({...('path' in endpoint ? {path: endpoint.path} : {host: endpoint.host, port: endpoint.port}), ...redisOptions(options, endpoint)})
  client.on('error', () => undefined)
  return client
}

export interface ClusterClientOptions extends ServerAuth {
  policy: 'watch' | 'patient'
  commandTimeoutMs?: number
  lazyConnect?: boolean
  /** refresh the slot map on a timer too, not only on MOVED (clients under fault injection) */
  slotsRefreshIntervalMs?: number
  stopRetrying?: () => boolean
}

const CLUSTER_POLICY: Record<ClusterClientOptions['policy'], Partial<ClusterOptions> & {refreshes: number; maxDelayMs: number}> = {
  // a check under fault injection: every redirect and failover shows quickly in its counts
  watch: {maxRedirections: 16, retryDelayOnFailover: 100, retryDelayOnClusterDown: 100, retryDelayOnTryAgain: 100, refreshes: Infinity, maxDelayMs: 100},
  // a copy: slots move and masters fail over under it, and it waits them out
  patient: {maxRedirections: 64, retryDelayOnFailover: 200, retryDelayOnClusterDown: 300, retryDelayOnTryAgain: 100, refreshes: 30, maxDelayMs: 1000},
}

/** A Redis Cluster client seeded by any of its nodes; reads and writes go to masters. */
export function createClusterClient(seeds: Address[], options: ClusterClientOptions): Cluster {
  const {refreshes, maxDelayMs, ...timing} = CLUSTER_POLICY[options.policy]
  const commandTimeout = options.commandTimeoutMs
  const client = new Cluster(seeds.map(({host, port}) => ({host, port})), {
    ...timing,
    lazyConnect: options.lazyConnect ?? true,
    enableAutoPipelining: false,
    scaleReads: 'master',
    slotsRefreshTimeout: Math.max(commandTimeout ?? 2000, 1000),
    slotsRefreshInterval: options.slotsRefreshIntervalMs,
    clusterRetryStrategy: (times) => (options.stopRetrying?.() || times > refreshes ? null : Math.min(100 * times, maxDelayMs)),
    redisOptions: {
      username: options.username ?? (options.password === undefined ? undefined : defaultUsername()),
      password: options.password,
      // a cluster's nodes share one TLS setup: the first seed's
      tls: seeds.length > 0 ? tlsFor(seeds[0], options.tls) : undefined,
      commandTimeout,
      connectTimeout: Math.max(commandTimeout ?? 5000, 1000),
      maxRetriesPerRequest: options.policy === 'patient' ? 5 : 1,
      ...(options.policy === 'watch' ? {enableReadyCheck: false, disableClientInfo: true} : {}),
    },
    ...(options.policy === 'watch' ? {enableReadyCheck: false} : {}),
  })
  client.on('error', () => undefined)
  return client
}

/** QUIT what is connected, drop the rest; a client that fails to quit is disconnected. */
export async function closeClients(clients: Iterable<Redis | Cluster>): Promise<void> {
  await Promise.all([...clients].map(async (client) => {
    try {
      if (client.status === 'ready') await client.quit()
      else client.disconnect()
    } catch {
      client.disconnect()
    }
  }))
}
