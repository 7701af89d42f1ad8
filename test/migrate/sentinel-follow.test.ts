// The Sentinel source's failover follower against a Sentinel that says exactly what the test wants
// when it wants (a small RESP server: GET-MASTER-ADDR-BY-NAME and the +switch-master channel),
// with real redis-servers as the masters. Sentinel names the new master while it still
// reconfigures the replicas and announces +switch-master only afterwards: a failover follow() has
// already followed by then must not be taken for a second one (it used to be: the next follow()
// waited for a failover that never came, "Sentinel named no new master within 60 s"). The switch
// fails what waits on the dead master at once, even while its client waits to reconnect (a copy
// reading there used to wait for ever).
import assert from 'node:assert/strict'
import net from 'node:net'
import {after, describe, test} from 'node:test'
import {openSentinelSource} from '../../src/migrate/source/sentinel-source.js'
import {freePort, sleep, startRedis, stopAll, waitUntil} from '../support/servers.js'

interface FakeSentinel {
  port: number
  /** the port GET-MASTER-ADDR-BY-NAME shop answers with */
  named: number
  announce(message: string): void
  close(): void
}

function bulk(text: string): string {
  return `$${Buffer.byteLength(text)}\r\n${text}\r\n`
}

/** Parses whole RESP arrays of bulk strings off the front of `held`; returns the commands and the rest. */
function commandsIn(held: string): {commands: string[][]; rest: string} {
  const commands: string[][] = []
  for (;;) {
    const match = /^\*(\d+)\r\n/.exec(held)
    if (!match) return {commands, rest: held}
    let at = match[0].length
    const args: string[] = []
    for (let i = 0; i < Number(match[1]); i++) {
      const header = /^\$(\d+)\r\n/.exec(held.slice(at))
      if (!header || held.length < at + header[0].length + Number(header[1]) + 2) return {commands, rest: held}
      at += header[0].length
      args.push(held.slice(at, at + Number(header[1])))
      at += Number(header[1]) + 2
    }
    commands.push(args)
    held = held.slice(at)
  }
}

async function fakeSentinel(named: number): Promise<FakeSentinel> {
  const port = await freePort()
  const subscribers = new Set<net.Socket>()
  const sockets = new Set<net.Socket>()
  const fake: FakeSentinel = {
    port, named,
    announce(message) {
      for (const socket of subscribers) socket.write(`*3\r\n${bulk('message')}${bulk('+switch-master')}${bulk(message)}`)
    },
    close() {
      for (const socket of sockets) socket.destroy()
      server.close()
    },
  }
  const answer = (socket: net.Socket, [name, ...args]: string[]): string => {
    switch (name.toUpperCase()) {
      case 'SENTINEL':
        return args[1] === 'shop' ? `*2\r\n${bulk('127.0.0.1')}${bulk(String(fake.named))}` : '*-1\r\n'
      case 'SUBSCRIBE':
        subscribers.add(socket)
        return `*3\r\n${bulk('subscribe')}${bulk(args[0])}:1\r\n`
      case 'INFO':
        return bulk('# Server\r\nredis_mode:sentinel\r\n')
      case 'PING':
        return '+PONG\r\n'
      default:
        return '+OK\r\n'
    }
  }
  const server = net.createServer((socket) => {
    sockets.add(socket)
    let held = ''
    socket.on('data', (chunk) => {
      const {commands, rest} = commandsIn(held + chunk.toString('latin1'))
      held = rest
      for (const command of commands) socket.write(answer(socket, command))
    })
    socket.on('error', () => undefined)
    socket.on('close', () => {
      sockets.delete(socket)
      subscribers.delete(socket)
    })
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return fake
}

describe('following a Sentinel group through a failover', () => {
  after(() => stopAll())

  test('a failover follow() already followed is not taken for another when +switch-master comes after it', async () => {
    const [first, second] = [await startRedis(), await startRedis()]
    const sentinel = await fakeSentinel(first.port)
    const set = await openSentinelSource({sentinel: `127.0.0.1:${sentinel.port}`, master: 'shop', failoverTimeoutMs: 3000})
    try {
      const follower = set.failover
      assert.ok(follower)
      // Sentinel names the promoted replica during its reconfiguration of the others...
      sentinel.named = second.port
      assert.deepEqual(await follower.follow(), {from: `127.0.0.1:${first.port}`, to: `127.0.0.1:${second.port}`})
      // ...and announces the switch only once that is done
      sentinel.announce(`shop 127.0.0.1 ${first.port} 127.0.0.1 ${second.port}`)
      await sleep(300)
      assert.equal(follower.pending, false, 'the switch already followed is no failover to follow')
      assert.equal(await set.sources[0].client.ping(), 'PONG', 'the new master\'s connection was kept')
      assert.equal(await follower.follow(), undefined)

      // a failover not followed yet is still announced: back to the first server
      sentinel.named = first.port
      sentinel.announce(`shop 127.0.0.1 ${second.port} 127.0.0.1 ${first.port}`)
      for (let i = 0; i < 50 && !follower.pending; i++) await sleep(100)
      assert.equal(follower.pending, true)
      assert.deepEqual(await follower.follow(), {from: `127.0.0.1:${second.port}`, to: `127.0.0.1:${first.port}`})
    } finally {
      await set.close()
      sentinel.close()
    }
  })

  test('+switch-master fails the commands waiting on the dead master at once, while its client waits to reconnect', async () => {
    const [first, second] = [await startRedis(), await startRedis()]
    const sentinel = await fakeSentinel(first.port)
    const set = await openSentinelSource({sentinel: `127.0.0.1:${sentinel.port}`, master: 'shop', failoverTimeoutMs: 3000})
    try {
      const client = set.sources[0].client
      await client.ping()
      first.child.kill('SIGKILL')
      await waitUntil(() => client.status === 'reconnecting', 'the client to wait to reconnect', 10_000, 5)
      const waiting = client.get('key').then(() => 'answered', (error: Error) => `failed: ${error.message}`)
      await waitUntil(() => client.status === 'reconnecting', 'the client to wait to reconnect again', 10_000, 5)
      sentinel.named = second.port
      sentinel.announce(`shop 127.0.0.1 ${first.port} 127.0.0.1 ${second.port}`)
      const outcome = await Promise.race([waiting, sleep(10_000).then(() => 'still waiting after 10 s')])
      assert.match(outcome, /^failed: Connection is closed/)
      assert.equal(set.failover?.pending, true)
    } finally {
      await set.close()
      sentinel.close()
    }
  })
})
