// health_check: one probe of an ejected server on a connection of its own. A redis server must
// answer PING with +PONG (after AUTH when the pool has redis_auth, as redis_user; over TLS with tls_server), a memcache server must answer
// "version"; anything else, a refused connection or no answer within the time limit, and the
// server stays out of the ring for another server_retry_timeout.
import net from 'node:net'
import type {PoolConfig} from '../../config/types.js'
import {encodeCommand} from '../../protocol/redis-encode.js'
import type {HealthProbe} from '../server/server-pool.js'
import type {ServerEndpoint} from '../server/server-connection.js'
import type {ServerAccess} from '../server/server-access.js'
import {connectTls} from '../io/tls.js'

const PONG = Buffer.from('+PONG\r\n')
const VERSION = Buffer.from('VERSION ')

export function healthProbe(pool: PoolConfig, access: ServerAccess = {}): HealthProbe {
  const limitMs = pool.timeout > 0 ? pool.timeout : 1000
  const auth = access.password === undefined ? [] : [encodeCommand(access.username === undefined ? ['AUTH', access.password] : ['AUTH', access.username, access.password])]
  const request = pool.redis
    ? Buffer.concat([...auth, encodeCommand(['PING'])])
    : Buffer.from('version\r\n')
  const answered = (data: Buffer) => (pool.redis ? data.subarray(data.length - PONG.length).equals(PONG) : data.subarray(0, VERSION.length).equals(VERSION) && data.at(-1) === 10)
  return (server: ServerEndpoint) => new Promise<boolean>((resolve) => {
    const socket = server.path !== undefined ? net.connect({path: server.path})
      : access.tls !== undefined ? connectTls(server.host, server.port, access.tls) : net.connect({host: server.host, port: server.port})
    let data = Buffer.alloc(0)
    const done = (ok: boolean) => {
      clearTimeout(timer)
      socket.destroy()
      resolve(ok)
    }
    const timer = setTimeout(() => done(false), limitMs)
    socket.on('connect', () => socket.write(request))
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk])
      if (data.length > 4096) done(false)
      else if (answered(data)) done(true)
    })
    socket.on('error', () => done(false))
    socket.on('close', () => done(false))
  })
}
