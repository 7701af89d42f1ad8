// How the proxy reaches a pool's servers, once per pool: redis_auth, the ACL user of redis_user,
// and the TLS options of tls_server (PEM files read here, at start or reload). The data path's
// connections, the health probe and the control clients (Sentinel, slot maps, replica checks)
// all take it from here, so a pool's servers are reached the same way by every part.
import type tls from 'node:tls'
import {redisUserOf, serverTlsOf} from '../../config/extension-keys/index.js'
import type {PoolConfig} from '../../config/types.js'
import {serverTlsOptions} from '../io/tls.js'

export interface ServerAccess {
  password?: string
  /** an ACL user (with `password`); the default user when absent */
  username?: string
  /** TLS to the servers, sentinels and cluster nodes; plain TCP when absent */
  tls?: tls.ConnectionOptions
}

export function serverAccessOf(pool: PoolConfig): ServerAccess {
  const settings = serverTlsOf(pool)
  return {
    password: pool.redisAuth,
    username: redisUserOf(pool),
    tls: settings === undefined ? undefined : serverTlsOptions(pool.name, settings),
  }
}
