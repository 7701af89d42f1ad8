// The order and names twlab gives pools and servers are the ones nutcracker uses: checked
// against the stats JSON of a running nutcracker, which lists pools and servers in its own
// internal order, servers by their names.
import {after, test} from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import {parseConfig} from '../../src/config/index.js'
import {freePorts, startNutcracker, stopAll} from '../support/servers.js'

after(stopAll)

function readStats(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({host: '127.0.0.1', port})
    let text = ''
    const timer = setTimeout(() => socket.destroy(new Error('no stats within 10s')), 10_000)
    socket.setEncoding('utf8').on('data', (chunk) => (text += chunk))
    socket.once('error', reject)
    socket.once('close', () => {
      clearTimeout(timer)
      resolve(text)
    })
  })
}

const SERVICE_KEYS = new Set(['service', 'source', 'version', 'uptime', 'timestamp', 'total_connections', 'curr_connections'])
const POOL_KEYS = new Set(['client_eof', 'client_err', 'client_connections', 'server_ejects', 'forward_error', 'fragments'])

test('pools and servers come out in nutcracker\'s order with nutcracker\'s names', async () => {
  const ports = await freePorts(5)
  // Listen values sort differently from pool names, so the two possible orders differ.
  const config = `zeta:
  listen: 127.0.0.1:${ports[0]}
  servers:
    - 127.0.0.1:6379:1 server10
    - 127.0.0.1:6380:1 server2
    - 127.0.0.1:6381:1 server1
    - 127.0.0.1:6382:1 Server3
alpha-long-name:
  listen: 127.0.0.1:${ports[1]}
  servers:
    - 127.0.0.1:11211:1
    - 127.0.0.1:06379:2
    - 127.0.0.1:6379:1
    - 10.0.0.1:6379:1
    - /tmp/twlab-order.sock:1
b:
  listen: localhost:${ports[2]}
  redis: true
  servers:
    - 127.0.0.1:6390:1 b-b
    - 127.0.0.1:6391:1 b-a
    - 127.0.0.1:6392:1 aa
ab:
  listen: 127.0.0.1:${ports[3]}
  servers:
    - 127.0.0.1:6393:1
`
  const nutcracker = await startNutcracker({config, waitPort: ports[0], statsPort: ports[4]})
  const stats = JSON.parse(await readStats(nutcracker.statsPort)) as Record<string, unknown>
  const theirs = Object.entries(stats)
    .filter(([key]) => !SERVICE_KEYS.has(key))
    .map(([pool, value]) => ({pool, servers: Object.keys(value as object).filter((key) => !POOL_KEYS.has(key))}))
  const ours = parseConfig(config).pools.map((pool) => ({pool: pool.name, servers: pool.servers.map((s) => s.name)}))
  assert.deepEqual(ours, theirs)
  await nutcracker.stop()
})
