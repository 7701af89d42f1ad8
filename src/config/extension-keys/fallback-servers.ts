// fallback_servers: the pool's previous server list while `twlab pool add-server/remove-server`
// moves keys to their new owners. twproxy routes by `servers:` and, for a key whose owner under
// this list is another server, first asks that server to hand the key over (MIGRATE), so no key
// vanishes and no write lands on a stale copy. nutcracker itself rejects the key.
import {ExtensionValueError, nonEmptyList, registerExtension} from '../extensions.js'
import {compareNutcracker} from '../nutcracker-text.js'
import {formatServerEntry, parseServerEntry} from '../server-entry.js'
import type {PoolConfig, ServerConfig} from '../types.js'

export const FALLBACK_SERVERS_KEY = 'fallback_servers'

registerExtension({
  key: FALLBACK_SERVERS_KEY,
  description: 'the previous servers while keys move to their new owners (twproxy hands moving keys over on first touch)',
  value: 'sequence',
  parse(value) {
    const servers = nonEmptyList(value, FALLBACK_SERVERS_KEY, 'List the previous servers, or delete the key.').map((entry) => {
      const parsed = parseServerEntry(entry)
      if (!parsed.ok) throw new ExtensionValueError(parsed.problem, parsed.fix)
      return parsed.server
    })
    // the order nutcracker gives `servers:`, so ring ties break the same way for both lists
    return servers.sort((a, b) => compareNutcracker(a.name, b.name))
  },
  format: (parsed) => (parsed as ServerConfig[]).map((server) => formatServerEntry(server)),
})

/** The pool's fallback server list, when a pool change is moving keys. */
export function fallbackServersOf(pool: PoolConfig): ServerConfig[] | undefined {
  const value = pool.extensions[FALLBACK_SERVERS_KEY]
  return Array.isArray(value) && value.length > 0 ? (value as ServerConfig[]) : undefined
}
