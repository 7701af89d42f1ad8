// Writes through the socket's handle (socket-write.ts) keep what socket.write() guarantees: bytes in
// order (also mixed with socket.write), what is queued is counted while the peer does not read,
// end() waits for queued bytes, a failed write closes that socket with the write's error. The whole
// file runs a second time in a child process with TWPROXY_STREAM_WRITES=1 (socket.write() only).
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import net from 'node:net'
import {fileURLToPath} from 'node:url'
import {after, before, describe, test} from 'node:test'
import {SocketWriter, directWrites} from '../../src/proxy/io/socket-write.js'
import {waitUntil} from '../support/servers.js'

const STREAM_ONLY = process.env.TWPROXY_STREAM_WRITES === '1'

let server: net.Server
let port = 0
/** accepted sockets, in accept order, paused until a test resumes them */
const accepted: net.Socket[] = []
const waiting: Array<(socket: net.Socket) => void> = []
const opened: net.Socket[] = []

before(async () => {
  server = net.createServer({pauseOnConnect: true}, (socket) => {
    socket.on('error', () => undefined)
    const wait = waiting.shift()
    if (wait !== undefined) wait(socket)
    else accepted.push(socket)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as net.AddressInfo).port
})

after(async () => {
  for (const socket of [...accepted, ...opened]) socket.destroy()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

/** A connected client socket and the server's (paused) end of it. */
async function pair(): Promise<{client: net.Socket; peer: net.Socket}> {
  const peer = new Promise<net.Socket>((resolve) => {
    const ready = accepted.shift()
    if (ready !== undefined) resolve(ready)
    else waiting.push(resolve)
  })
  const client = await new Promise<net.Socket>((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket))
    socket.once('error', reject)
  })
  opened.push(client)
  const server = await peer
  opened.push(server)
  return {client, peer: server}
}

/** Everything `socket` receives until EOF (or `bytes` of it), within 20 s. */
function receive(socket: net.Socket, bytes = Infinity): Promise<{data: Buffer; ended: boolean}> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let length = 0
    const timer = setTimeout(() => reject(new Error(`received ${length} bytes, no more within 20 s`)), 20_000)
    const done = (ended: boolean) => {
      clearTimeout(timer)
      resolve({data: Buffer.concat(chunks), ended})
    }
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk)
      length += chunk.length
      if (length >= bytes) done(false)
    })
    socket.once('end', () => done(true))
    socket.resume()
  })
}

/** `count` chunks of `size` bytes, each filled with a pattern of its own index. */
function numberedChunks(count: number, size: number): Buffer[] {
  return Array.from({length: count}, (_, i) => {
    const chunk = Buffer.alloc(size, `<${i}>`)
    chunk.writeUInt32BE(i, 0)
    return chunk
  })
}

describe(`socket-write (${STREAM_ONLY ? 'socket.write() only' : 'direct where possible'})`, () => {
  test('a write on an idle connected socket skips socket.write() where the direct path exists', async () => {
    const {client, peer} = await pair()
    let streamWrites = 0
    const write = client.write.bind(client)
    client.write = ((...args: Parameters<net.Socket['write']>) => {
      streamWrites++
      return write(...args)
    }) as net.Socket['write']
    const writer = new SocketWriter(client)
    writer.write(Buffer.from('hello '))
    writer.write(Buffer.from('world'))
    const {data} = await receive(peer, 11)
    assert.equal(data.toString(), 'hello world')
    assert.equal(directWrites, !STREAM_ONLY)
    assert.equal(streamWrites, directWrites ? 0 : 2)
  })

  test('bytes keep their order while the peer does not read, mixed with socket.write(); what waits is counted', async () => {
    const {client, peer} = await pair()
    const writer = new SocketWriter(client)
    // 24 MiB: more than loopback's socket buffers take, so writes queue in libuv or the stream
    const chunks = numberedChunks(96, 256 * 1024)
    const total = chunks.length * chunks[0].length
    for (const chunk of chunks.slice(0, 48)) writer.write(chunk)
    // the direct path was taken until libuv had to queue a write, then socket.write() behind it
    if (directWrites) assert.ok(writer.queuedDirect > 0)
    chunks.slice(48).forEach((chunk, i) => (i % 3 === 2 ? client.write(chunk) : writer.write(chunk)))
    await new Promise((resolve) => setTimeout(resolve, 50))
    assert.ok(writer.queuedBytes > 0, 'bytes the peer has not read are counted as queued')
    assert.ok(writer.queuedBytes <= total + chunks[0].length)
    const {data} = await receive(peer, total)
    assert.equal(data.length, total)
    assert.ok(data.equals(Buffer.concat(chunks)), 'every byte arrives in write order')
    await waitUntil(() => writer.queuedBytes === 0, 'the queue to empty', 10_000, 10)
  })

  test('end() after writes queued for a peer that does not read sends every byte, then EOF', async () => {
    const {client, peer} = await pair()
    const writer = new SocketWriter(client)
    const chunks = numberedChunks(40, 256 * 1024)
    for (const chunk of chunks) writer.write(chunk)
    client.end()
    const {data, ended} = await receive(peer)
    assert.equal(ended, true)
    assert.ok(data.equals(Buffer.concat(chunks)))
  })

  test('writing to a peer that reset the connection closes that socket with the write error; another socket still works', async () => {
    const broken = await pair()
    const healthy = await pair()
    const errors: NodeJS.ErrnoException[] = []
    broken.client.on('error', (error) => errors.push(error))
    const closed = new Promise<void>((resolve) => broken.client.once('close', () => resolve()))
    broken.peer.resetAndDestroy()
    await new Promise((resolve) => setTimeout(resolve, 50))
    const writer = new SocketWriter(broken.client)
    for (let i = 0; i < 100 && !broken.client.destroyed; i++) {
      writer.write(Buffer.alloc(64 * 1024, 1))
      await new Promise((resolve) => setImmediate(resolve))
    }
    await closed
    assert.equal(errors.length, 1)
    assert.ok(['EPIPE', 'ECONNRESET'].includes(errors[0].code ?? ''), `write error code: ${errors[0].code}`)
    new SocketWriter(healthy.client).write(Buffer.from('still fine'))
    assert.equal((await receive(healthy.peer, 10)).data.toString(), 'still fine')
  })

  test('a peer that resets the connection while writes are queued closes that socket with one error', async () => {
    const {client, peer} = await pair()
    const errors: NodeJS.ErrnoException[] = []
    client.on('error', (error) => errors.push(error))
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()))
    const writer = new SocketWriter(client)
    for (const chunk of numberedChunks(64, 256 * 1024)) writer.write(chunk)
    assert.ok(writer.queuedBytes > 0)
    peer.resetAndDestroy()
    await closed
    assert.equal(errors.length, 1)
    assert.ok(['EPIPE', 'ECONNRESET'].includes(errors[0].code ?? ''), `error code: ${errors[0].code}`)
    // later batches for the closed socket are dropped without another error
    writer.write(Buffer.from('late'))
    await new Promise((resolve) => setTimeout(resolve, 20))
    assert.equal(errors.length, 1)
  })

  test('the same cases pass with socket.write() only (TWPROXY_STREAM_WRITES=1)', {skip: STREAM_ONLY}, () => {
    // without NODE_TEST_CONTEXT, which would make the child report to this runner instead of stdout
    const {NODE_TEST_CONTEXT: _, ...env} = process.env
    const result = spawnSync(process.execPath, ['--test', fileURLToPath(import.meta.url)], {
      env: {...env, TWPROXY_STREAM_WRITES: '1'},
      encoding: 'utf8',
      timeout: 120_000,
    })
    assert.equal(result.status, 0, result.stdout + result.stderr)
    assert.match(result.stdout, /# pass 5/)
  })
})
