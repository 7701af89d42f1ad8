// The proxy's control-path clients: the few ioredis connections twproxy opens besides its data
// path, each with the retry settings its job needs. Every `new Redis` of src/proxy is here.
//  - reading a cluster's slot map: one short-lived connection per node asked, no retry (the next
//    node is asked instead);
//  - read_from: one connection per master, asked INFO replication every second, reconnecting;
//  - following Sentinel: a command connection and a subscriber per sentinel, reconnecting every
//    500 ms for as long as the pool lives.
// Why not the tools' client factory (targets/client-factory.ts): the proxy may not import
// src/targets (it sits below it, beside config), and its data path speaks RESP over raw sockets
// of its own (server/server-connection.ts), so only these control clients need a library.
import {Redis} from 'ioredis'
import type tls from 'node:tls'
import type {Address} from '../address.js'

/** Sentinel clients reconnect this often, msec. */
const SENTINEL_RECONNECT_MS = 500

/** A client whose connection errors are expected and handled by its user (a node or sentinel that is down). */
function quiet(client: Redis): Redis {
  client.on('error', () => {})
  return client
}

/** How a control client reaches a node: the pool's server access (server/server-access.ts). */
export interface ControlAccess {
  password?: string
  username?: string
  tls?: tls.ConnectionOptions
}

/**
 * For one CLUSTER SLOTS (or one INFO of a replica check): connects when asked to, fails at once
 * rather than retrying, bounded by `timeoutMs`.
 */
export function slotMapClient(node: Address, options: ControlAccess & {timeoutMs: number}): Redis {
  return quiet(new Redis({
    host: node.host, port: node.port, password: options.password, username: options.username, tls: options.tls, lazyConnect: true,
    connectTimeout: options.timeoutMs, commandTimeout: options.timeoutMs,
    maxRetriesPerRequest: 0, enableOfflineQueue: true, retryStrategy: () => null,
  }))
}

/**
 * For SENTINEL queries (`subscriber` false: a query while disconnected fails at once) or for
 * +switch-master messages (`subscriber` true: the subscription is queued and renewed after every
 * reconnect). Both connect now and keep reconnecting.
 */
export function sentinelClient(sentinel: Address, options: {connectTimeoutMs: number; subscriber: boolean; tls?: tls.ConnectionOptions}): Redis {
  return quiet(new Redis({
    host: sentinel.host, port: sentinel.port, tls: options.tls, connectTimeout: options.connectTimeoutMs,
    retryStrategy: () => SENTINEL_RECONNECT_MS, lazyConnect: false,
    ...(options.subscriber ? {enableOfflineQueue: true, maxRetriesPerRequest: null} : {enableOfflineQueue: false, maxRetriesPerRequest: 0}),
  }))
}

/** For read_from's INFO replication of a master every second: connects now, reconnects every 500 ms; a query waits for the connection at most `timeoutMs`. */
export function replicaCheckClient(master: Address, options: ControlAccess & {timeoutMs: number}): Redis {
  return quiet(new Redis({
    host: master.host, port: master.port, password: options.password, username: options.username, tls: options.tls,
    connectTimeout: options.timeoutMs, commandTimeout: options.timeoutMs, lazyConnect: false,
    retryStrategy: () => SENTINEL_RECONNECT_MS, enableOfflineQueue: true, maxRetriesPerRequest: 0,
  }))
}
