// Large messages through twproxy beside nutcracker, over real servers: a reply or a request that
// spans hundreds of reads costs the proxy its length once (never rescanned from its first byte),
// a declared argument count allocates nothing until arguments arrive, and memcache get takes the
// 10,000 keys nutcracker takes. CPU is compared as process CPU time (/proc), measured in the same
// run for both proxies, so the machine's speed and load cancel out.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import net from 'node:net'
import {after, before, describe, test} from 'node:test'
import {sleep, stopAll} from '../support/servers.js'
import {both, readStats, resp, startTwin, type Twin} from './harness.js'

let twin: Twin

/** user + system CPU time of a process, in msec */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

function rssKiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1])
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({host: '127.0.0.1', port, noDelay: true})
    socket.once('connect', () => resolve(socket))
    socket.once('error', reject)
  })
}

/** Sends `request` and reads until the bytes received end with `until` (bounded by maxMs). */
async function collect(socket: net.Socket, request: Buffer | null, until: Buffer, maxMs: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let tail = Buffer.alloc(0)
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(timer)
      socket.off('data', onData)
      resolve(Buffer.concat(chunks))
    }
    const timer = setTimeout(finish, maxMs)
    const onData = (chunk: Buffer) => {
      chunks.push(chunk)
      tail = Buffer.concat([tail, chunk]).subarray(-until.length)
      if (tail.equals(until)) finish()
    }
    socket.on('data', onData)
    socket.once('close', finish)
    if (request !== null) socket.write(request)
  })
}

/** RPUSHes `count` small elements onto `key` on one redis-server, directly. */
async function fillList(port: number, key: string, count: number): Promise<void> {
  const socket = await connect(port)
  const batch = 1000
  const parts: Buffer[] = []
  for (let at = 0; at < count; at += batch) {
    parts.push(resp('RPUSH', key, ...Array.from({length: Math.min(batch, count - at)}, (_, i) => String(at + i))))
  }
  parts.push(resp('PING'))
  await collect(socket, Buffer.concat(parts), Buffer.from('+PONG\r\n'), 60_000)
  socket.destroy()
}

describe('large messages cost their length once', () => {
  before(async () => {
    twin = await startTwin([
      {name: 'big', servers: 2, settings: ['redis: true', 'timeout: 2000', 'auto_eject_hosts: true', 'server_failure_limit: 1', 'server_retry_timeout: 30000']},
      {name: 'mc', servers: 2, memcache: true, settings: []},
    ])
  })
  after(async () => {
    await twin.stop()
    await stopAll()
  })

  test('rounds of 500 connections that each declare *1048576 and send nothing more cost what their bytes cost', async (t) => {
    const pid = twin.twproxy.pid
    const before = rssKiB(pid)
    let grown = 0
    for (let round = 0; round < 4; round++) {
      const sockets = await Promise.all(Array.from({length: 500}, () => connect(twin.ports.twproxy.big)))
      for (const socket of sockets) socket.write('*1048576\r\n')
      await sleep(500)
      grown = Math.max(grown, rssKiB(pid) - before)
      for (const socket of sockets) socket.destroy()
      await sleep(200)
    }
    t.diagnostic(`RSS grew at most ${grown} KiB over 4 rounds of 500 connections that declared 1,048,576 arguments`)
    // an argument table sized by the count declared is 8 MiB per connection
    assert.ok(grown < 64 * 1024, `RSS grew ${grown} KiB`)
    const probe = await connect(twin.ports.twproxy.big)
    assert.equal((await collect(probe, resp('PING'), Buffer.from('\r\n'), 5000)).toString(), '+PONG\r\n')
    probe.destroy()
  })

  test('LRANGE of a 1,000,000-element list: the reply nutcracker gives, in its order of CPU time, no timeout, no ejection', async (t) => {
    const ELEMENTS = 1_000_000
    await Promise.all([...twin.backends.nutcracker, ...twin.backends.twproxy].map((server) => fillList(server.port, 'biglist', ELEMENTS)))
    const request = resp('LRANGE', 'biglist', '0', '-1')
    const end = Buffer.from(`$6\r\n${ELEMENTS - 1}\r\n`)
    const replies: Record<string, Buffer[]> = {nutcracker: [], twproxy: []}
    const cpu: Record<string, number> = {nutcracker: 0, twproxy: 0}
    for (let round = 0; round < 2; round++) {
      for (const side of ['nutcracker', 'twproxy'] as const) {
        const pid = side === 'nutcracker' ? twin.nutcracker.pid : twin.twproxy.pid
        const socket = await connect(twin.ports[side].big)
        const before = cpuMs(pid)
        replies[side].push(await collect(socket, request, end, 20_000))
        cpu[side] += cpuMs(pid) - before
        socket.destroy()
      }
    }
    t.diagnostic(`CPU for two LRANGEs of ${replies.nutcracker[0].length} bytes: nutcracker ${cpu.nutcracker} ms, twproxy ${cpu.twproxy} ms`)
    for (let round = 0; round < 2; round++) {
      assert.ok(replies.nutcracker[round].subarray(-end.length).equals(end), 'nutcracker answers the whole list')
      assert.equal(replies.twproxy[round].length, replies.nutcracker[round].length, `round ${round}: ${replies.twproxy[round].subarray(0, 40).toString()}`)
      assert.ok(replies.twproxy[round].equals(replies.nutcracker[round]))
    }
    // rescanning from the first byte at every read cost twproxy about 10 times nutcracker's CPU here
    assert.ok(cpu.twproxy <= 6 * cpu.nutcracker + 300, `twproxy ${cpu.twproxy} ms of CPU, nutcracker ${cpu.nutcracker} ms`)
    const stats = JSON.parse(await readStats(twin.twproxy.statsPort))
    assert.equal(stats.big.server_ejects, 0)
  })

  test('a 300,000-key DEL whose last 2,000 bytes come a byte at a time costs no more CPU than at nutcracker', async (t) => {
    const parts = ['*300001\r\n$3\r\nDEL\r\n']
    for (let i = 0; i < 300_000; i++) parts.push(`$${`key:${i}`.length}\r\nkey:${i}\r\n`)
    const request = Buffer.from(parts.join(''))
    const head = request.subarray(0, request.length - 2000)
    const cpu: Record<string, number> = {}
    for (const side of ['nutcracker', 'twproxy'] as const) {
      const pid = side === 'nutcracker' ? twin.nutcracker.pid : twin.twproxy.pid
      const socket = await connect(twin.ports[side].big)
      socket.write(head)
      await sleep(500)
      const before = cpuMs(pid)
      for (let at = head.length; at < request.length; at++) {
        socket.write(request.subarray(at, at + 1))
        await sleep(2)
      }
      const reply = await collect(socket, null, Buffer.from('\r\n'), 20_000)
      cpu[side] = cpuMs(pid) - before
      assert.equal(reply.toString(), ':0\r\n', side)
      socket.destroy()
    }
    t.diagnostic(`CPU while 2,000 bytes trickled in: nutcracker ${cpu.nutcracker} ms, twproxy ${cpu.twproxy} ms`)
    // rescanning the 4.5 MB request at each byte cost twproxy seconds
    assert.ok(cpu.twproxy <= 3 * cpu.nutcracker + 250, `twproxy ${cpu.twproxy} ms of CPU, nutcracker ${cpu.nutcracker} ms`)
  })

  test('memcache get of 10,000 keys: the reply nutcracker gives', async () => {
    const sets = Array.from({length: 100}, (_, i) => `set key:${i * 97} 0 0 ${String(i).length}\r\n${i}\r\n`).join('')
    await both(twin, 'mc', sets, {quietMs: 300})
    const get = `get ${Array.from({length: 10_000}, (_, i) => `key:${i}`).join(' ')}\r\n`
    const {nutcracker, twproxy} = await both(twin, 'mc', get, {until: 'END\r\n', quietMs: 5000, maxMs: 20_000})
    assert.ok(nutcracker.data.toString().endsWith('END\r\n'))
    assert.equal(nutcracker.data.toString().split('VALUE').length - 1, 100)
    assert.equal(twproxy.data.toString(), nutcracker.data.toString())
    assert.equal(twproxy.closed, false)
  })
})
