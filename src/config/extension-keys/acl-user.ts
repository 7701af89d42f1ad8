// redis_user: the pool's servers are reached as this ACL user (Redis 6 and later), with
// `redis_auth` as its password: the proxy sends `AUTH user password` on every server connection,
// and its clients may authenticate as `AUTH user password` (the same user) or, as with
// nutcracker, `AUTH password`. nutcracker itself rejects the key.
import {ExtensionValueError, registerExtension} from '../extensions.js'
import type {PoolConfig} from '../types.js'

export const REDIS_USER_KEY = 'redis_user'

registerExtension({
  key: REDIS_USER_KEY,
  description: 'the servers are reached as this ACL user (AUTH user redis_auth); clients may AUTH as that user',
  value: 'scalar',
  parse(value) {
    const text = String(value)
    if (text === '' || /\s/.test(text)) throw new ExtensionValueError(`"${text}" is not an ACL user name`, 'Write the user name without spaces, as ACL SETUSER has it.')
    return text
  },
  format: (parsed) => String(parsed),
  check(pool) {
    if (!pool.redis) throw new ExtensionValueError('redis_user is set on a memcache pool', 'Add "redis: true" to the pool, or remove redis_user.')
    if (pool.redisAuth === undefined) throw new ExtensionValueError('redis_user is set without redis_auth', 'Add redis_auth: the password of the user.')
  },
})

/** The ACL user the pool's servers are reached as, when it names one. */
export function redisUserOf(pool: PoolConfig): string | undefined {
  return pool.extensions[REDIS_USER_KEY] as string | undefined
}
