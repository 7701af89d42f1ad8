// health_check: an ejected server comes back only once it answers. nutcracker puts an ejected
// server back blindly after server_retry_timeout (twemproxy issue #438), so a dead or hung host
// flaps in and out of the ring and every flap costs a timeout. With `health_check: true` twproxy
// probes it (PING on redis pools, "version" on memcache pools, within the pool's timeout) when
// its retry time comes, and keeps it out for another server_retry_timeout if it does not answer.
// nutcracker itself rejects the key.
import {ExtensionValueError, registerExtension} from '../extensions.js'
import type {PoolConfig} from '../types.js'

export const HEALTH_CHECK_KEY = 'health_check'

registerExtension({
  key: HEALTH_CHECK_KEY,
  description: 'an ejected server is put back only after it answers PING (memcache: version), not blindly after server_retry_timeout',
  value: 'scalar',
  parse(value) {
    if (value === 'true') return true
    if (value === 'false') return false
    throw new ExtensionValueError(`"${String(value)}" is not "true" or "false"`, 'Write true or false in lower case.')
  },
  format: (parsed) => String(parsed),
})

export function healthCheckOf(pool: PoolConfig): boolean {
  return pool.extensions[HEALTH_CHECK_KEY] === true
}
