// command_keys: which redis commands a pool accepts. nutcracker's table (the default,
// `command_keys: nutcracker`) knows the commands of Redis 3-6 and refuses every newer one, even
// those that name one key and could be routed like GET (Redis 8's HGETEX, HSETEX, HGETDEL,
// Valkey 9's DELIFEQ, ...). With `command_keys: backend`, twproxy also accepts the commands the
// pool's servers publish (COMMAND INFO / COMMAND DOCS) that were added after Redis 7.0 and whose
// key positions are fixed (first key, step, last key), routing them by their first key.
// nutcracker itself rejects the key.
import {ExtensionValueError, registerExtension} from '../extensions.js'
import type {PoolConfig} from '../types.js'

export const COMMAND_KEYS_KEY = 'command_keys'

export type CommandKeys = 'nutcracker' | 'backend'

registerExtension({
  key: COMMAND_KEYS_KEY,
  description: "backend: also route the commands added since Redis 7.0 that the servers publish with fixed key positions (HGETEX, HSETEX, HGETDEL, ...), by their first key; nutcracker (the default): nutcracker's command table only",
  value: 'scalar',
  parse(value) {
    if (value === 'nutcracker' || value === 'backend') return value
    throw new ExtensionValueError(`"${String(value)}" is not "nutcracker" or "backend"`, 'Write command_keys: backend to route the commands the servers publish, or remove the key for nutcracker\'s table.')
  },
  format: (parsed) => String(parsed),
  check(pool) {
    if (!pool.redis) throw new ExtensionValueError('command_keys is set on a memcache pool', 'Add "redis: true" to the pool, or remove command_keys.')
  },
})

/** How the pool's commands are known: nutcracker's table alone, or also what the backends publish. */
export function commandKeysOf(pool: PoolConfig): CommandKeys {
  return pool.extensions[COMMAND_KEYS_KEY] === 'backend' ? 'backend' : 'nutcracker'
}
