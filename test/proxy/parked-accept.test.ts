// Accepted connections are parked without a net.Socket until their first read event: idle ones
// never get one; the first bytes, an end of stream or a reset make the socket, which then sees
// that event and everything after in order, as if it had existed from the accept. A connection
// refused at the accept is closed; closing the parked ones closes them. A socket that rests
// (restSocket) gives its handle back to parking: the next read event makes a new socket for its
// owner, which sees that event and everything after, as the first socket would have.
import assert from 'node:assert/strict'
import net from 'node:net'
import {after, before, describe, test} from 'node:test'
import {type AcceptedHandle, closeParked, closeResting, parkAccepted, restSocket} from '../../src/proxy/io/parked-accept.js'
import {readAccepted} from '../../src/proxy/io/socket-read.js'
import {waitUntil} from '../support/servers.js'

const IDLE = 20

let server: net.Server
let port = 0
let parked: Set<AcceptedHandle>
let admitting = true
/** per socket made: what it read, whether it saw its end, its error */
const made: Array<{socket: net.Socket; bytes: Buffer[]; ended: boolean; writableAtEnd?: boolean; error?: string}> = []

before(async () => {
  server = net.createServer({allowHalfOpen: true, pauseOnConnect: true}, () => assert.fail('a connection reached the server as a socket'))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as net.AddressInfo).port
  const found = parkAccepted(server, () => admitting, (socket) => {
    const entry = {socket, bytes: [] as Buffer[], ended: false, writableAtEnd: undefined as boolean | undefined, error: undefined as string | undefined}
    made.push(entry)
    socket.on('end', () => {
      entry.ended = true
      entry.writableAtEnd = socket.writable
      socket.end()
    })
    socket.on('error', (error: NodeJS.ErrnoException) => {
      entry.error = error.code
    })
    readAccepted(socket, (chunk) => entry.bytes.push(chunk))
  })
  assert.ok(found !== null, 'this Node offers what parking needs')
  parked = found
})

after(async () => {
  for (const entry of made) entry.socket.destroy()
  closeParked(parked)
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

function connect(): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({host: '127.0.0.1', port}, () => resolve(socket))
    socket.once('error', reject)
  })
}

function closed(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve()
    else socket.once('close', () => resolve())
    socket.on('error', () => undefined)
  })
}

describe('parked-accept', () => {
  test('idle connections stay parked; the first bytes make the socket, which reads them and the rest in order', async () => {
    const clients = await Promise.all(Array.from({length: IDLE}, () => connect()))
    await waitUntil(() => parked.size === IDLE, 'parked connections', 5_000, 10)
    assert.equal(made.length, 0)
    const text = (c: number, part: number) => `client ${c} part ${part} ${'y'.repeat(part * 500)};`
    clients.forEach((socket, c) => socket.write(text(c, 0)))
    await waitUntil(() => made.length === IDLE && parked.size === 0, 'sockets made at the first read', 5_000, 10)
    clients.forEach((socket, c) => socket.write(text(c, 1) + text(c, 2)))
    const want = (c: number) => text(c, 0) + text(c, 1) + text(c, 2)
    const bytes = Buffer.byteLength(want(0))
    await waitUntil(() => made.every((entry) => Buffer.concat(entry.bytes).length >= bytes), 'every byte', 5_000, 10)
    for (const entry of made) {
      const got = Buffer.concat(entry.bytes).toString()
      const c = Number(/^client (\d+)/.exec(got)![1])
      assert.equal(got, want(c))
    }
    // writes go out through the socket made around the parked handle
    const answered = new Promise<string>((resolve) => clients[0].once('data', (chunk) => resolve(chunk.toString())))
    const entry = made.find((e) => Buffer.concat(e.bytes).toString().startsWith('client 0 '))!
    entry.socket.write('+OK\r\n')
    assert.equal(await answered, '+OK\r\n')
    for (const socket of clients) socket.destroy()
    made.length = 0
  })

  test('a connection that ends without a byte gets its socket and sees its end (half-close kept)', async () => {
    const client = await connect()
    await waitUntil(() => parked.size === 1, 'parked', 5_000, 10)
    client.end()
    await waitUntil(() => made.length === 1 && made[0].ended, 'the end seen by the socket made', 5_000, 10)
    assert.deepEqual(made[0].bytes, [])
    assert.equal(made[0].writableAtEnd, true)
    await closed(client)
    made.length = 0
  })

  test('a connection reset before a byte gets its socket and sees the error', async () => {
    const client = await connect()
    await waitUntil(() => parked.size === 1, 'parked', 5_000, 10)
    client.resetAndDestroy()
    await waitUntil(() => made.length === 1 && made[0].error !== undefined, 'the socket made and its error', 5_000, 10)
    assert.equal(made[0].error, 'ECONNRESET')
    assert.equal(made[0].socket.destroyed, true)
    assert.equal(parked.size, 0)
    made.length = 0
  })

  test('a connection refused at the accept is closed; parked ones are closed by closeParked', async () => {
    admitting = false
    const refused = await connect()
    await closed(refused)
    admitting = true
    assert.equal(parked.size, 0)
    const idle = await Promise.all([connect(), connect()])
    await waitUntil(() => parked.size === 2, 'parked', 5_000, 10)
    assert.equal(closeParked(parked), 2)
    await Promise.all(idle.map((socket) => closed(socket)))
    assert.equal(made.length, 0)
  })

  test('a socket at rest: the next bytes make a new socket for its owner, which reads on in order, writes and keeps half-close', async () => {
    const client = await connect()
    client.write('first;')
    await waitUntil(() => made.length === 1 && made[0].bytes.length === 1, 'the first socket and its read', 5_000, 10)
    const first = made[0]
    const woken: Array<{socket: net.Socket; bytes: Buffer[]; ended: boolean; writableAtEnd?: boolean}> = []
    const owner = {
      wake(socket: net.Socket) {
        const entry = {socket, bytes: [] as Buffer[], ended: false, writableAtEnd: undefined as boolean | undefined}
        woken.push(entry)
        socket.on('end', () => {
          entry.ended = true
          entry.writableAtEnd = socket.writable
          socket.end('bye')
        })
        readAccepted(socket, (chunk) => entry.bytes.push(chunk))
      },
    }
    assert.ok(restSocket(first.socket, owner) !== null, 'an idle socket rests')
    client.write('second;')
    await waitUntil(() => woken.length === 1 && Buffer.concat(woken[0].bytes).toString() === 'second;', 'a new socket with the next bytes', 5_000, 10)
    client.write('third;')
    await waitUntil(() => Buffer.concat(woken[0].bytes).toString() === 'second;third;', 'the bytes after', 5_000, 10)
    assert.equal(Buffer.concat(first.bytes).toString(), 'first;', 'the socket at rest reads nothing more')
    assert.equal(first.ended, false)
    const answered = new Promise<string>((resolve) => client.once('data', (chunk) => resolve(chunk.toString())))
    woken[0].socket.write('+OK\r\n')
    assert.equal(await answered, '+OK\r\n')
    const rest: Buffer[] = []
    client.on('data', (chunk) => rest.push(chunk))
    client.end()
    await waitUntil(() => woken[0].ended, 'the end seen by the new socket', 5_000, 10)
    assert.equal(woken[0].writableAtEnd, true)
    await closed(client)
    assert.equal(Buffer.concat(rest).toString(), 'bye')
    made.length = 0
  })

  test('a socket does not rest while it is paused or holds bytes to write; closeResting closes a resting one', async () => {
    const owner = {wake: () => assert.fail('no read event was expected')}
    const clients = [await connect(), await connect()]
    clients.forEach((socket) => socket.write('hello'))
    await waitUntil(() => made.length === 2 && made.every((entry) => entry.bytes.length === 1), 'both sockets made', 5_000, 10)
    const [paused, resting] = made
    paused.socket.pause()
    assert.equal(restSocket(paused.socket, owner), null, 'a paused socket keeps its handle')
    paused.socket.resume()
    paused.socket.cork()
    paused.socket.write('held')
    assert.equal(restSocket(paused.socket, owner), null, 'a socket with bytes held keeps its handle')
    paused.socket.uncork()
    const handle = restSocket(resting.socket, owner)
    assert.ok(handle !== null)
    closeResting(handle)
    await Promise.all(clients.map((socket, i) => i === 1 ? closed(socket) : Promise.resolve()))
    assert.equal(clients[1].destroyed, true)
    for (const socket of clients) socket.destroy()
    made.length = 0
  })
})
