// --max-output-bytes bounds the memory a client that stops reading can make the proxy hold: a
// small reply queued for it must not keep alive the whole read it came in (another client's large
// value read in the same 64 KiB), so the client is closed at the limit while the proxy's memory
// stays near what the limit allows.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import net from 'node:net'
import {after, before, describe, test} from 'node:test'
import {freePort, type RunningServer, sleep, startRedis, stopAll} from '../support/servers.js'
import {exchange, resp, startTwproxy, stopTwproxies} from './harness.js'
import {ownedSpan} from '../../src/proxy/io/socket-read.js'

let backend: RunningServer

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

describe('--max-output-bytes bounds real memory', () => {
  before(async () => {
    backend = await startRedis()
  })
  after(async () => {
    await stopTwproxies()
    await stopAll()
  })

  test('a small reply read with a 60 KB value is copied out: it keeps its bytes alive, not the read', () => {
    const read = Buffer.allocUnsafeSlow(64 * 1024).fill(7)
    const small = ownedSpan(read, 60_000, 60_007)
    assert.deepEqual([...small], [7, 7, 7, 7, 7, 7, 7])
    assert.ok(small.buffer.byteLength <= Buffer.poolSize, `a 7-byte reply holds ${small.buffer.byteLength} bytes`)
    // the whole read, or most of it, is kept as it is (no copy on the common path)
    assert.equal(ownedSpan(read, 0, read.length), read)
    assert.equal(ownedSpan(read, 0, 60_000).buffer, read.buffer)
  })

  test('a client that stops reading tiny replies, beside one reading 60 KB values, is closed at the limit', async (t) => {
    const port = await freePort()
    const config = `pool:\n  listen: 127.0.0.1:${port}\n  redis: true\n  servers:\n   - 127.0.0.1:${backend.port}:1 server1\n`
    const proxy = await startTwproxy(config, port, ['--max-output-bytes=1048576'])
    try {
      await exchange(port, Buffer.concat([resp('SET', 'big', 'v'.repeat(60_000)), resp('SET', 'tiny', 'x')]), {until: '+OK\r\n+OK\r\n'})
      const base = rssKiB(proxy.pid)
      // the reader: GET big, 8 at a time, as fast as the replies come
      const reader = await connect(port)
      let readerBytes = 0
      const batch = Buffer.concat(Array.from({length: 8}, () => resp('GET', 'big')))
      reader.on('data', (chunk) => {
        readerBytes += chunk.length
        if (readerBytes >= 8 * 60_011) {
          readerBytes -= 8 * 60_011
          reader.write(batch)
        }
      })
      reader.write(batch)
      // the stalled client: GET tiny in batches, never reads
      const stalled = await connect(port)
      stalled.pause()
      let closed = false
      stalled.on('close', () => (closed = true))
      stalled.on('error', () => undefined)
      const tinyBatch = Buffer.concat(Array.from({length: 256}, () => resp('GET', 'tiny')))
      let peak = 0
      const started = Date.now()
      while (!closed && Date.now() - started < 30_000) {
        if (stalled.writableLength < 1 << 20) stalled.write(tinyBatch)
        await sleep(5)
        peak = Math.max(peak, rssKiB(proxy.pid) - base)
      }
      reader.destroy()
      stalled.destroy()
      t.diagnostic(`stalled client ${closed ? 'closed' : 'still open'} after ${Date.now() - started} ms; proxy RSS grew at most ${peak} KiB`)
      assert.equal(closed, true, 'the client that does not read is closed')
      assert.ok(peak < 96 * 1024, `proxy RSS grew ${peak} KiB for a 1 MiB output limit`)
    } finally {
      await proxy.stop()
    }
  })
})
