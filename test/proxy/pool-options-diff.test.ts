// Pool settings whose effect is on sockets rather than replies, against the real nutcracker:
// preconnect (server connections opened at start), backlog (the listen queue), tcpkeepalive (on
// which sockets), and a unix socket listen address with its permission. Each is read from the
// kernel (ss, stat) or from the backend's own client count, for both proxies.
import assert from 'node:assert/strict'
import {statSync} from 'node:fs'
import {join} from 'node:path'
import {after, describe, test} from 'node:test'
import {execa} from 'execa'
import {rmSync} from 'node:fs'
import {freePort, type RunningServer, sleep, startNutcracker, startRedis, stopAll, tempDir} from '../support/servers.js'
import {exchange, resp, startTwproxy, stopTwproxies} from './harness.js'

type Side = 'nutcracker' | 'twproxy'
const SIDES: Side[] = ['nutcracker', 'twproxy']

interface Started {
  listen: string
  port: number
  backends: RunningServer[]
  stop(): Promise<void>
}

/** One pool on `side` over its own `servers` redis-servers; `listen` defaults to a free TCP port. */
async function startPool(side: Side, settings: string[], servers: number, listen?: string): Promise<Started> {
  const backends: RunningServer[] = []
  for (let i = 0; i < servers; i++) backends.push(await startRedis())
  const port = await freePort()
  const address = listen ?? `127.0.0.1:${port}`
  const config = `pool:\n  listen: ${address}\n${settings.map((s) => `  ${s}\n`).join('')}  servers:\n` +
    backends.map((b, i) => `   - 127.0.0.1:${b.port}:1 server${i + 1}\n`).join('')
  // a unix socket pool has no port to wait for: wait for the stats port (and the backend's, which
  // is up already) instead; the socket file itself is waited for by the test
  let proxy: {stop(): Promise<void>}
  if (side === 'nutcracker') {
    const statsPort = await freePort()
    proxy = await startNutcracker({config, statsPort, waitPort: listen === undefined ? port : statsPort})
  } else {
    proxy = await startTwproxy(config, listen === undefined ? port : backends[0].port)
  }
  return {
    listen: address, port, backends,
    async stop() {
      await Promise.all([proxy.stop(), ...backends.map((b) => b.stop())])
    },
  }
}

/** connected_clients of a redis-server (counting this query's own connection). */
async function connectedClients(port: number): Promise<number> {
  const reply = await exchange(port, resp('INFO', 'clients'), {quietMs: 200})
  const match = /connected_clients:(\d+)/.exec(reply.data.toString())
  assert.ok(match, `INFO clients from ${port}`)
  return Number(match[1])
}

/** ss lines for TCP sockets matching `filter` (an ss filter expression). */
async function ss(args: string[], filter: string): Promise<string[]> {
  const {stdout} = await execa('ss', [...args, filter])
  return stdout.split('\n').filter((line) => line.trim() !== '')
}

describe('pool socket settings: the same as nutcracker', () => {
  after(async () => {
    await stopTwproxies()
    await stopAll()
  })

  test('preconnect opens server_connections to every server before any client', async () => {
    const counts: Record<string, number[]> = {}
    for (const side of SIDES) {
      for (const preconnect of [true, false]) {
        const pool = await startPool(side, ['redis: true', `preconnect: ${preconnect}`, 'server_connections: 2'], 2)
        try {
          // connections are opened asynchronously after the listen port is up: read a bounded
          // number of times until the count settles at what is expected or the tries run out
          let seen: number[] = []
          for (let attempt = 0; attempt < 10; attempt++) {
            if (attempt > 0) await sleep(200)
            seen = await Promise.all(pool.backends.map((b) => connectedClients(b.port)))
            if (!preconnect || seen.every((n) => n >= 2)) break
          }
          counts[`${side} ${preconnect}`] = seen
        } finally {
          await pool.stop()
        }
      }
    }
    // nutcracker 0.5.0 preconnects one connection per server whatever server_connections says:
    // INFO's own connection plus that one; only INFO's without preconnect
    assert.deepEqual(counts['nutcracker true'], [2, 2], JSON.stringify(counts))
    assert.deepEqual(counts['twproxy true'], counts['nutcracker true'], JSON.stringify(counts))
    assert.deepEqual(counts['nutcracker false'], [1, 1])
    assert.deepEqual(counts['twproxy false'], counts['nutcracker false'])
  })

  test('backlog sets the listen queue length', async () => {
    const queues: Record<string, string[]> = {}
    for (const side of SIDES) {
      for (const backlog of ['backlog: 37', undefined]) {
        const pool = await startPool(side, ['redis: true', ...(backlog === undefined ? [] : [backlog])], 1)
        try {
          // "LISTEN Recv-Q Send-Q local peer": Send-Q of a listening socket is its backlog
          const lines = await ss(['-ltnH'], `( sport = :${pool.port} )`)
          queues[`${side} ${backlog}`] = lines.map((line) => line.trim().split(/\s+/)[2])
        } finally {
          await pool.stop()
        }
      }
    }
    assert.deepEqual(queues['nutcracker backlog: 37'], ['37'])
    assert.deepEqual(queues['twproxy backlog: 37'], queues['nutcracker backlog: 37'])
    assert.equal(queues['nutcracker undefined'].length, 1)
    assert.deepEqual(queues['twproxy undefined'], queues['nutcracker undefined'])
  })

  test('tcpkeepalive turns keepalive on for the same sockets', async () => {
    const timers: Record<string, {client: boolean; server: boolean}> = {}
    for (const side of SIDES) {
      for (const keepalive of [true, false]) {
        const pool = await startPool(side, ['redis: true', `tcpkeepalive: ${keepalive}`], 1)
        const backend = pool.backends[0].port
        const {createConnection} = await import('node:net')
        const client = createConnection({host: '127.0.0.1', port: pool.port})
        try {
          await new Promise<void>((resolve, reject) => {
            client.once('error', reject)
            client.write(resp('SET', 'keepalive', 'on'))
            client.once('data', () => resolve())
          })
          // the proxy's end of the client connection and of its server connection
          const clientSide = await ss(['-tnoH', 'state', 'established'], `( sport = :${pool.port} )`)
          const serverSide = await ss(['-tnoH', 'state', 'established'], `( dport = :${backend} )`)
          assert.equal(clientSide.length, 1)
          assert.equal(serverSide.length, 1)
          timers[`${side} ${keepalive}`] = {client: clientSide[0].includes('keepalive'), server: serverSide[0].includes('keepalive')}
        } finally {
          client.destroy()
          await pool.stop()
        }
      }
    }
    assert.deepEqual(timers['nutcracker false'], {client: false, server: false})
    assert.notDeepEqual(timers['nutcracker true'], timers['nutcracker false'])
    assert.deepEqual(timers['twproxy true'], timers['nutcracker true'])
    assert.deepEqual(timers['twproxy false'], timers['nutcracker false'])
  })

  test('a unix socket listen address gets its permission and serves requests', async () => {
    const modes: Record<string, number> = {}
    const dir = tempDir('twproxy-unix-')
    try {
      for (const side of SIDES) {
        for (const perm of ['0600', '0666']) {
          const path = join(dir, `${side}-${perm}.sock`)
          const pool = await startPool(side, ['redis: true'], 1, `${path} ${perm}`)
          try {
            let mode = -1
            for (let attempt = 0; attempt < 10 && mode < 0; attempt++) {
              if (attempt > 0) await sleep(200)
              try {
                mode = statSync(path).mode & 0o777
              } catch {
                mode = -1
              }
            }
            modes[`${side} ${perm}`] = mode
            const reply = await unixExchange(path, resp('PING'))
            assert.equal(reply, '+PONG\r\n', `${side} PING over ${perm}`)
          } finally {
            await pool.stop()
          }
        }
      }
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
    assert.equal(modes['nutcracker 0600'], 0o600)
    assert.equal(modes['nutcracker 0666'], 0o666)
    assert.equal(modes['twproxy 0600'], modes['nutcracker 0600'])
    assert.equal(modes['twproxy 0666'], modes['nutcracker 0666'])
  })
})

/** One request over a unix socket; the reply bytes as text (bounded by a time limit). */
async function unixExchange(path: string, request: Buffer): Promise<string> {
  const {createConnection} = await import('node:net')
  return new Promise((resolve) => {
    const socket = createConnection({path})
    let data = ''
    const finish = () => {
      clearTimeout(timer)
      socket.destroy()
      resolve(data)
    }
    const timer = setTimeout(finish, 5000)
    socket.on('connect', () => socket.write(request))
    socket.on('data', (chunk) => {
      data += chunk.toString()
      if (data.endsWith('\r\n')) finish()
    })
    socket.on('error', finish)
    socket.on('close', finish)
  })
}
