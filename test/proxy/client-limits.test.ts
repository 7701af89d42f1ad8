// twproxy's own client limits (nutcracker has none of these): --client-idle-timeout closes a
// client that stays silent, --max-clients closes the connections over the limit at once, and
// 10,000 idle connections cost the proxy a bounded amount of memory each.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import net from 'node:net'
import {after, before, describe, test} from 'node:test'
import {freePort, type RunningServer, sleep, startRedis, stopAll} from '../support/servers.js'
import {exchange, readStats, resp, startTwproxy, stopTwproxies, type Twproxy} from './harness.js'

let backend: RunningServer

async function proxyWith(args: string[]): Promise<{proxy: Twproxy; port: number}> {
  const port = await freePort()
  const config = `pool:\n  listen: 127.0.0.1:${port}\n  redis: true\n  servers:\n   - 127.0.0.1:${backend.port}:1 server1\n`
  return {proxy: await startTwproxy(config, port, args), port}
}

/** An open connection, resolved once connected. */
function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({host: '127.0.0.1', port})
    socket.once('connect', () => resolve(socket))
    socket.once('error', reject)
  })
}

/** Resolves true when `socket` is closed by the other end within `ms`, false otherwise. */
function closedWithin(socket: net.Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve(true)
    const timer = setTimeout(() => resolve(false), ms)
    socket.once('close', () => {
      clearTimeout(timer)
      resolve(true)
    })
    socket.on('error', () => undefined)
  })
}

/** One request on an open socket; the reply text, or '' when none comes within 3 s. */
function ask(socket: net.Socket, request: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(''), 3000)
    socket.once('data', (chunk) => {
      clearTimeout(timer)
      resolve(chunk.toString())
    })
    socket.write(request)
  })
}

function rssKiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  assert.ok(match)
  return Number(match[1])
}

/** client_connections of the pool in the stats document, read until it is `want` (bounded). */
async function clientConnections(statsPort: number, want: number): Promise<number> {
  let seen = -1
  for (let attempt = 0; attempt < 40 && seen !== want; attempt++) {
    if (attempt > 0) await sleep(250)
    const document = await readStats(statsPort)
    // no document within readStats' bound: ask again rather than fail on the empty text
    if (document !== '') seen = JSON.parse(document).pool.client_connections
  }
  return seen
}

describe('twproxy client limits', () => {
  before(async () => {
    backend = await startRedis()
  })
  after(async () => {
    await stopTwproxies()
    await stopAll()
  })

  test('--client-idle-timeout closes a silent client, not one that is answered', async () => {
    const {proxy, port} = await proxyWith(['--client-idle-timeout=400'])
    try {
      const idle = await connect(port)
      assert.equal(await ask(idle, resp('PING')), '+PONG\r\n')
      assert.equal(await closedWithin(idle, 10_000), true)
      // without the option the same silence is kept open
      const {proxy: plain, port: plainPort} = await proxyWith([])
      try {
        const kept = await connect(plainPort)
        assert.equal(await ask(kept, resp('PING')), '+PONG\r\n')
        assert.equal(await closedWithin(kept, 1500), false)
        kept.destroy()
      } finally {
        await plain.stop()
      }
    } finally {
      await proxy.stop()
    }
  })

  test('--max-clients closes the connections over the limit and keeps the others', async () => {
    const {proxy, port} = await proxyWith(['--max-clients=2'])
    try {
      const first = await connect(port)
      const second = await connect(port)
      assert.equal(await ask(first, resp('PING')), '+PONG\r\n')
      assert.equal(await ask(second, resp('PING')), '+PONG\r\n')
      const over = await exchange(port, resp('PING'))
      assert.equal(over.data.length, 0)
      assert.equal(over.closed, true)
      assert.equal(await ask(first, resp('PING')), '+PONG\r\n')
      // a slot freed is a slot again
      second.destroy()
      await clientConnections(proxy.statsPort, 1)
      const third = await connect(port)
      assert.equal(await ask(third, resp('PING')), '+PONG\r\n')
      first.destroy()
      third.destroy()
    } finally {
      await proxy.stop()
    }
  })

  test('10,000 idle connections cost a bounded amount of memory each and all close', async (t) => {
    const COUNT = 10_000
    const {proxy, port} = await proxyWith([])
    const sockets: net.Socket[] = []
    try {
      // warm the proxy up with a few connections so start-up allocation is not counted
      for (let i = 0; i < 50; i++) sockets.push(await connect(port))
      await clientConnections(proxy.statsPort, 50)
      const before = rssKiB(proxy.pid)
      for (let batch = sockets.length; batch < COUNT; batch += 500) {
        const opened = await Promise.all(Array.from({length: Math.min(500, COUNT - batch)}, () => connect(port)))
        sockets.push(...opened)
      }
      assert.equal(await clientConnections(proxy.statsPort, COUNT), COUNT)
      const grown = rssKiB(proxy.pid) - before
      const perConnection = (grown * 1024) / (COUNT - 50)
      // a node socket with its handle and twproxy's client object is a few KiB; a buffer kept per
      // connection (a leak of read buffers, say) would be tens of KiB
      t.diagnostic(`proxy RSS grew ${grown} KiB for ${COUNT - 50} idle connections: ${Math.round(perConnection)} bytes each`)
      assert.ok(perConnection < 16 * 1024, `${Math.round(perConnection)} bytes per idle connection`)
      // the proxy still serves
      assert.equal(await ask(sockets[0], resp('PING')), '+PONG\r\n')
    } finally {
      for (const socket of sockets) socket.destroy()
    }
    try {
      assert.equal(await clientConnections(proxy.statsPort, 0), 0)
    } finally {
      await proxy.stop()
    }
  })
})
