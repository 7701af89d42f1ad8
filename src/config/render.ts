// Writes a fresh nutcracker.yml from a parsed config: block style only, nutcracker's key order,
// values quoted only where YAML needs it, and never a value nutcracker would refuse (a negative
// timeout is written by leaving the key out). parseConfig(renderConfig(c)) gives back c.
import {Document} from 'yaml'
import {POOL_DEFAULTS} from './directives.js'
import {findExtension} from './extensions.js'
import {formatServerEntry} from './server-entry.js'
import type {NutcrackerConfig, PoolConfig} from './types.js'

export interface RenderOptions {
  /** write every key, defaults included (default: only listen, hash, distribution, redis, servers and keys that differ from the default) */
  allKeys?: boolean
}

/** yaml's writer settings that keep the output inside what nutcracker's libyaml accepts. */
export const NUTCRACKER_YAML_OUTPUT = {lineWidth: 0, minContentWidth: 0, indentSeq: true, flowCollectionPadding: false} as const

export function renderConfig(config: Pick<NutcrackerConfig, 'pools'>, options: RenderOptions = {}): string {
  const root: Record<string, Record<string, string | string[]>> = {}
  for (const pool of config.pools) root[pool.name] = renderPool(pool, options.allKeys === true)
  const doc = new Document(root, {schema: 'failsafe', aliasDuplicateObjects: false})
  return doc.toString(NUTCRACKER_YAML_OUTPUT)
}

function renderPool(pool: PoolConfig, all: boolean): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  const put = (key: string, value: string | number | boolean | undefined, fallback?: string | number | boolean, always = false) => {
    if (value === undefined) return
    if (always || all || value !== fallback) out[key] = String(value)
  }
  put('listen', pool.listen.text, undefined, true)
  put('hash', pool.hash, POOL_DEFAULTS.hash, true)
  put('hash_tag', pool.hashTag)
  put('distribution', pool.distribution, POOL_DEFAULTS.distribution, true)
  // nutcracker takes no negative numbers: the default "wait forever" (-1) is written by omission.
  if (pool.timeout >= 0) put('timeout', pool.timeout, undefined, true)
  put('backlog', pool.backlog, POOL_DEFAULTS.backlog)
  put('redis', pool.redis, POOL_DEFAULTS.redis, true)
  put('redis_auth', pool.redisAuth)
  put('redis_db', pool.redisDb, POOL_DEFAULTS.redisDb)
  put('preconnect', pool.preconnect, POOL_DEFAULTS.preconnect)
  put('auto_eject_hosts', pool.autoEjectHosts, POOL_DEFAULTS.autoEjectHosts)
  put('server_connections', pool.serverConnections, POOL_DEFAULTS.serverConnections)
  put('server_retry_timeout', pool.serverRetryTimeout, POOL_DEFAULTS.serverRetryTimeout)
  put('server_failure_limit', pool.serverFailureLimit, POOL_DEFAULTS.serverFailureLimit)
  put('tcpkeepalive', pool.tcpkeepalive, POOL_DEFAULTS.tcpkeepalive)
  for (const [key, value] of Object.entries(pool.extensions ?? {})) {
    const extension = findExtension(key)
    if (extension?.format) out[key] = extension.format(value)
  }
  out.servers = pool.servers.map((server) => formatServerEntry(server))
  return out
}
