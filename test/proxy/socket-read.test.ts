// Reads into the shared buffer: every chunk handed over is the caller's own copy (later reads on
// any socket must not change it), accepted and connected sockets alike, and pause()/resume() still
// hold back and restart reading.
import assert from 'node:assert/strict'
import net from 'node:net'
import {after, before, describe, test} from 'node:test'
import {onreadOption, readAccepted} from '../../src/proxy/io/socket-read.js'
import {waitUntil} from '../support/servers.js'

const CLIENTS = 4
const MESSAGES = 50

let server: net.Server
let port = 0
const received = new Map<number, Buffer[]>()
const accepted: net.Socket[] = []

before(async () => {
  server = net.createServer({pauseOnConnect: true}, (socket) => {
    accepted.push(socket)
    const id = accepted.length - 1
    received.set(id, [])
    readAccepted(socket, (chunk) => received.get(id)!.push(chunk))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as net.AddressInfo).port
})

after(async () => {
  for (const socket of accepted) socket.destroy()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

describe('socket-read', () => {
  test('accepted sockets: chunks keep their bytes after later reads on other sockets', async () => {
    const clients = await Promise.all(Array.from({length: CLIENTS}, () => new Promise<net.Socket>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(socket))
    })))
    await waitUntil(() => accepted.length === CLIENTS, 'accepts', 5_000, 10)
    const sent = clients.map(() => [] as string[])
    for (let m = 0; m < MESSAGES; m++) {
      clients.forEach((socket, c) => {
        const text = `client ${c} message ${m} ${'x'.repeat(m * 37)};`
        sent[c].push(text)
        socket.write(text)
      })
      await new Promise((resolve) => setImmediate(resolve))
    }
    const total = (id: number) => received.get(id)!.reduce((sum, chunk) => sum + chunk.length, 0)
    // every client sends the same number of bytes (one-digit client numbers)
    const bytes = Buffer.byteLength(sent[0].join(''))
    await waitUntil(() => [...received.keys()].every((id) => total(id) === bytes), 'all bytes', 5_000, 10)
    // which accepted socket is which client: by the first message
    for (const [id, chunks] of received) {
      const text = Buffer.concat(chunks).toString()
      const c = Number(/^client (\d+)/.exec(text)![1])
      assert.equal(text, sent[c].join(''), `accepted socket ${id}`)
    }
    for (const socket of clients) socket.destroy()
  })

  test('pause() stops reading an accepted socket until resume()', async () => {
    const client = await new Promise<net.Socket>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(socket))
    })
    await waitUntil(() => accepted.length === CLIENTS + 1, 'accept', 5_000, 10)
    const id = CLIENTS
    const socket = accepted[id]
    client.write('one;')
    await waitUntil(() => received.get(id)!.length === 1, 'first chunk', 5_000, 10)
    socket.pause()
    client.write('two;')
    await new Promise((resolve) => setTimeout(resolve, 100))
    assert.equal(Buffer.concat(received.get(id)!).toString(), 'one;')
    socket.resume()
    await waitUntil(() => Buffer.concat(received.get(id)!).toString() === 'one;two;', 'the chunk held back', 5_000, 10)
    client.destroy()
  })

  test('net.connect with onreadOption: the replies read are intact copies', async () => {
    const chunks: Buffer[] = []
    const echo = net.createServer((socket) => socket.pipe(socket))
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve))
    const echoPort = (echo.address() as net.AddressInfo).port
    const socket = net.connect({host: '127.0.0.1', port: echoPort, onread: onreadOption((chunk) => chunks.push(chunk))})
    await new Promise((resolve) => socket.once('connect', resolve))
    let expected = ''
    for (let m = 0; m < MESSAGES; m++) {
      const text = `reply ${m} ${'y'.repeat(m * 53)};`
      expected += text
      socket.write(text)
      await new Promise((resolve) => setImmediate(resolve))
    }
    await waitUntil(() => chunks.reduce((sum, chunk) => sum + chunk.length, 0) === expected.length, 'echoed bytes', 5_000, 10)
    assert.equal(Buffer.concat(chunks).toString(), expected)
    socket.destroy()
    await new Promise<void>((resolve) => echo.close(() => resolve()))
  })
})
