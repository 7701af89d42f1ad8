// A plain client that went quiet gives its socket up until its next read (client.ts restIfIdle,
// parked-accept.ts restSocket). Whatever it did before (AUTH) still holds after, a pipeline sent
// after the rest is answered in order, a half-close after it gets every reply before the close,
// and clients that close while at rest are counted closed.
import assert from 'node:assert/strict'
import net from 'node:net'
import {after, before, describe, test} from 'node:test'
import {REST_SWEEP_MS} from '../../src/proxy/io/listener.js'
import {freePort, type RunningServer, sleep, startRedis, stopAll, waitUntil} from '../support/servers.js'
import {readStats, resp, startTwproxy, stopTwproxies, type Twproxy} from './harness.js'

/** long enough for a quiet client to rest: one sweep clears its activity, the next rests it */
const REST_WAIT_MS = 3 * REST_SWEEP_MS + 200

let backend: RunningServer
let proxy: Twproxy
let port = 0

/** A connected socket that gathers what it receives. */
async function open(): Promise<{socket: net.Socket; received: () => string; closed: () => boolean}> {
  const chunks: Buffer[] = []
  let isClosed = false
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect({host: '127.0.0.1', port}, () => resolve(s))
    s.once('error', reject)
  })
  socket.on('data', (chunk) => chunks.push(chunk))
  socket.on('close', () => {
    isClosed = true
  })
  socket.on('error', () => undefined)
  return {socket, received: () => Buffer.concat(chunks).toString(), closed: () => isClosed}
}

async function clientConnections(): Promise<number> {
  return JSON.parse(await readStats(proxy.statsPort)).pool.client_connections
}

describe('a quiet client rests without its socket', () => {
  before(async () => {
    backend = await startRedis({args: ['--requirepass', 'sesame']})
    port = await freePort()
    const config = `pool:\n  listen: 127.0.0.1:${port}\n  redis: true\n  redis_auth: sesame\n  servers:\n   - 127.0.0.1:${backend.port}:1 server1\n`
    proxy = await startTwproxy(config, port)
  })
  after(async () => {
    await stopTwproxies()
    await stopAll()
  })

  test('after a rest: AUTH still holds, a pipeline is answered in order, a half-close gets every reply', async () => {
    const client = await open()
    client.socket.write(resp('AUTH', 'sesame'))
    await waitUntil(() => client.received() === '+OK\r\n', 'AUTH answered', 5_000, 10)
    await sleep(REST_WAIT_MS)
    client.socket.write(Buffer.concat([resp('SET', 'rest:k', 'v1'), resp('GET', 'rest:k'), resp('PING'), resp('GET', 'rest:missing')]))
    client.socket.end()
    await waitUntil(() => client.closed(), 'closed after the replies', 5_000, 10)
    assert.equal(client.received(), '+OK\r\n+OK\r\n$2\r\nv1\r\n+PONG\r\n$-1\r\n')
  })

  test('twice at rest, then a split request; clients closed while at rest are counted closed', async () => {
    const clients = await Promise.all([open(), open(), open()])
    for (const client of clients) client.socket.write(resp('AUTH', 'sesame'))
    await waitUntil(() => clients.every((client) => client.received() === '+OK\r\n'), 'AUTH answered', 5_000, 10)
    await waitUntil(async () => await clientConnections() === 3, 'three clients counted', 5_000, 50)
    await sleep(REST_WAIT_MS)
    const [first] = clients
    first.socket.write(resp('PING'))
    await waitUntil(() => first.received() === '+OK\r\n+PONG\r\n', 'PING after a rest', 5_000, 10)
    await sleep(REST_WAIT_MS)
    const request = resp('SET', 'rest:split', 'x'.repeat(100))
    first.socket.write(request.subarray(0, 10))
    await sleep(REST_WAIT_MS)
    first.socket.write(request.subarray(10))
    await waitUntil(() => first.received() === '+OK\r\n+PONG\r\n+OK\r\n', 'a request split across a quiet spell', 5_000, 10)
    clients[1].socket.destroy()
    clients[2].socket.end()
    await waitUntil(() => clients[2].closed(), 'the half-closed client closed', 5_000, 10)
    await waitUntil(async () => await clientConnections() === 1, 'closed clients counted', 5_000, 50)
    first.socket.destroy()
    await waitUntil(async () => await clientConnections() === 0, 'every client counted closed', 5_000, 50)
  })
})
