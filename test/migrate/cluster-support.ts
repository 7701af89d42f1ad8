// A throwaway Redis Cluster for migration tests and the benchmark: cluster-enabled redis-servers
// on free ports, slots split evenly by ADDSLOTSRANGE, joined by MEET, optional replicas, waited
// for until every node says cluster_state:ok. Every process is tracked (and stopped) by PID.
import {spawn} from 'node:child_process'
import {rmSync} from 'node:fs'
import {Redis} from 'ioredis'
import {freePort, sleep, startRedis, stopPid, tempDir, waitForPort, type RunningServer} from '../support/servers.js'

/** A server program other than the system's redis-server (a fetched Valkey or Redis: installedProgram). */
export interface ServerProgram {
  bin: string
  prefixArgs?: string[]
}

/** A throwaway server of `program` on `port`, like startRedis (no persistence, loopback), stopped by PID. */
export async function startProgram(program: ServerProgram, port: number, args: string[]): Promise<RunningServer> {
  const dir = tempDir('twlab-server-')
  const child = spawn(program.bin, [...(program.prefixArgs ?? []), '--port', String(port), '--bind', '127.0.0.1', '--save', '',
    '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--loglevel', 'warning', ...args], {stdio: 'ignore'})
  if (child.pid === undefined) throw new Error(`${program.bin} did not start`)
  const server: RunningServer = {
    kind: 'server', port, pid: child.pid, child, dir,
    async stop() {
      await stopPid(child)
      rmSync(dir, {recursive: true, force: true})
    },
  }
  try {
    await waitForPort(port)
  } catch (error) {
    await server.stop()
    throw error
  }
  return server
}

export interface TestCluster {
  masters: RunningServer[]
  replicas: RunningServer[]
  /** "127.0.0.1:port" of the first master: what --to-cluster gets */
  address: string
  stop(): Promise<void>
}

/** A port whose cluster bus port (port + 10000) is free and valid too. */
async function clusterPort(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = await freePort()
    if (port + 10000 > 65535 || taken.has(port) || taken.has(port + 10000)) continue
    if (!(await isFree(port + 10000))) continue
    taken.add(port)
    taken.add(port + 10000)
    return port
  }
  throw new Error('no free port pair for a cluster node')
}

async function isFree(port: number): Promise<boolean> {
  const net = await import('node:net')
  return new Promise((resolve) => {
    const server = net.createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (let attempt = 0; attempt < 2000 && Date.now() < deadline; attempt++) {
    if (await check()) return
    await sleep(50)
  }
  throw new Error(`timed out waiting for ${what}`)
}

export async function startCluster(options: {masters?: number; replicasPerMaster?: number; args?: string[]; program?: ServerProgram} = {}): Promise<TestCluster> {
  const masterCount = options.masters ?? 3
  const replicaCount = options.replicasPerMaster ?? 0
  const taken = new Set<number>()
  const nodeArgs = ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '1000',
    ...(options.args ?? [])]
  const masters: RunningServer[] = []
  const replicas: RunningServer[] = []
  const clients: Redis[] = []
  const stop = async () => {
    for (const c of clients) c.disconnect()
    await Promise.all([...masters, ...replicas].map((s) => s.stop()))
  }
  try {
    const start = async () => {
      const port = await clusterPort(taken)
      return options.program ? startProgram(options.program, port, nodeArgs) : startRedis({port, args: nodeArgs})
    }
    for (let i = 0; i < masterCount; i++) masters.push(await start())
    for (let i = 0; i < masterCount * replicaCount; i++) replicas.push(await start())
    const all = [...masters, ...replicas]
    for (const s of all) clients.push(new Redis({host: '127.0.0.1', port: s.port, lazyConnect: false, maxRetriesPerRequest: 1}))
    const per = Math.floor(16384 / masterCount)
    for (let i = 0; i < masterCount; i++) {
      const first = i * per
      const last = i === masterCount - 1 ? 16383 : first + per - 1
      await clients[i].call('CLUSTER', 'ADDSLOTSRANGE', String(first), String(last))
    }
    for (let i = 1; i < all.length; i++) await clients[0].call('CLUSTER', 'MEET', '127.0.0.1', String(all[i].port))
    await waitFor('all nodes to know each other', async () => {
      for (const c of clients) {
        const nodes = String(await c.call('CLUSTER', 'NODES')).trim().split('\n')
        if (nodes.length < all.length || nodes.some((line) => line.includes('handshake'))) return false
      }
      return true
    })
    for (let r = 0; r < replicas.length; r++) {
      const masterId = String(await clients[r % masterCount].call('CLUSTER', 'MYID'))
      await clients[masterCount + r].call('CLUSTER', 'REPLICATE', masterId)
    }
    await waitFor('cluster_state:ok on every node', async () => {
      for (const c of clients) {
        if (!String(await c.call('CLUSTER', 'INFO')).includes('cluster_state:ok')) return false
      }
      return true
    })
    if (replicas.length > 0) {
      await waitFor('replicas in sync', async () => {
        for (const c of clients.slice(masterCount)) {
          if (!String(await c.info('replication')).includes('master_link_status:up')) return false
        }
        return true
      })
    }
  } catch (error) {
    await stop()
    throw error
  }
  for (const c of clients) c.disconnect()
  clients.length = 0
  return {masters, replicas, address: `127.0.0.1:${masters[0].port}`, stop}
}
