// A reload (SIGUSR1) while one server of the pool is hung: replacing a hung server is the usual
// reason to reload, so the healthy servers must not notice. Their requests go on during the
// reload's gate; only the hung server's requests wait (and time out as configured).
import assert from 'node:assert/strict'
import {readFileSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import {after, before, describe, test} from 'node:test'
import {freePort, type RunningServer, sleep, startRedis, stopAll} from '../support/servers.js'
import {resp, startTwproxy, stopTwproxies} from './harness.js'

let servers: RunningServer[] = []

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({host: '127.0.0.1', port, noDelay: true})
    socket.once('connect', () => resolve(socket))
    socket.once('error', reject)
  })
}

/** One request on its own connection; resolves with the reply text and when it came. */
async function ask(port: number, request: Buffer): Promise<{reply: string; at: number}> {
  const socket = await connect(port)
  return new Promise((resolve) => {
    socket.once('data', (chunk) => {
      socket.destroy()
      resolve({reply: chunk.toString(), at: Date.now()})
    })
    socket.write(request)
  })
}

/** Index of the backend that holds `key` (set through the proxy beforehand). */
async function holder(key: string): Promise<number> {
  for (let i = 0; i < servers.length; i++) {
    if ((await ask(servers[i].port, resp('GET', key))).reply !== '$-1\r\n') return i
  }
  return -1
}

describe('reload with a hung server', () => {
  before(async () => {
    servers = [await startRedis(), await startRedis(), await startRedis()]
  })
  after(async () => {
    for (const server of servers) process.kill(server.pid, 'SIGCONT')
    await stopTwproxies()
    await stopAll()
  })

  test('requests to the healthy servers flow during the gate; only the hung server\'s wait', async (t) => {
    const port = await freePort()
    const config = (timeout: number) => `pool:\n  listen: 127.0.0.1:${port}\n  redis: true\n  timeout: ${timeout}\n  servers:\n` +
      servers.map((s, i) => `   - 127.0.0.1:${s.port}:1 s${i + 1}\n`).join('')
    const proxy = await startTwproxy(config(3000), port)
    try {
      // one key per server
      const keyOf = new Map<number, string>()
      for (let k = 0; keyOf.size < servers.length && k < 200; k++) {
        const key = `key:${k}`
        await ask(port, resp('SET', key, 'v'))
        const at = await holder(key)
        if (!keyOf.has(at)) keyOf.set(at, key)
      }
      assert.equal(keyOf.size, servers.length)
      process.kill(servers[0].pid, 'SIGSTOP')
      const hungAsked = Date.now()
      const hung = ask(port, resp('GET', keyOf.get(0)!))
      await sleep(100)
      writeFileSync(proxy.configFile, config(2900))
      process.kill(proxy.pid, 'SIGUSR1')
      for (let i = 0; i < 100 && !/reload: pool 'pool' now has/.test(readFileSync(proxy.logFile, 'utf8')); i++) await sleep(20)
      const healthy: Array<{reply: string; at: number}> = []
      for (let round = 0; round < 10; round++) {
        for (const index of [1, 2]) healthy.push(await ask(port, resp('GET', keyOf.get(index)!)))
      }
      const hungReply = await hung
      t.diagnostic(`healthy GETs done ${healthy.at(-1)!.at - hungAsked} ms after the hung GET was sent; the hung GET answered after ${hungReply.at - hungAsked} ms: ${hungReply.reply.trim()}`)
      for (const {reply} of healthy) assert.equal(reply, '$1\r\nv\r\n')
      // every healthy GET was answered before the hung server's request timed out
      assert.ok(healthy.at(-1)!.at < hungReply.at, 'the healthy servers\' requests did not wait for the hung one')
      assert.equal(hungReply.reply, '-ERR Connection timed out\r\n')
    } finally {
      process.kill(servers[0].pid, 'SIGCONT')
      await proxy.stop()
    }
  })
})
