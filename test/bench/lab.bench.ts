// `npm run bench -- lab`: how long a 3-master, 3-replica Redis Cluster takes to be usable, with
// `twlab up --cluster --masters 3 --replicas 1` and with redis's own create-cluster procedure
// (6 redis-server processes, `redis-cli --cluster create --cluster-replicas 1 --cluster-yes`),
// both timed from the first process start until every node reports cluster_state:ok and all
// nodes agree on the slot map. Several alternating rounds; prints figures, never pass/fail.
import {spawn, spawnSync} from 'node:child_process'
import {rmSync} from 'node:fs'
import {join} from 'node:path'
import {Redis} from 'ioredis'
import {freePort, tempDir, waitForPort} from '../support/servers.js'
import {makeLabHome} from '../lab/support.js'
import {clusterSignature} from '../../src/lab/cluster-create.js'
import {parseClusterNodes} from '../../src/targets/cluster-nodes.js'
import {parseInfo} from '../../src/lab/admin-client.js'
import {stopProcess} from '../../src/lab/processes.js'

const ROUNDS = 3

/** Every node ok and all slot maps equal (the same test `twlab up` waits for). */
async function converged(ports: number[]): Promise<boolean> {
  const clients = ports.map((port) => new Redis({port, lazyConnect: true, maxRetriesPerRequest: 0, enableReadyCheck: false}))
  try {
    const infos = await Promise.all(clients.map(async (c) => parseInfo(String(await c.call('CLUSTER', 'INFO')))))
    if (!infos.every((info) => info.get('cluster_state') === 'ok')) return false
    const views = await Promise.all(clients.map(async (c) => clusterSignature(parseClusterNodes(String(await c.call('CLUSTER', 'NODES'))))))
    return views.every((view) => view === views[0]) && views[0].split('\n').length === ports.length
  } catch {
    return false
  } finally {
    for (const c of clients) c.disconnect()
  }
}

async function waitConverged(ports: number[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await converged(ports)) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error('cluster did not converge')
}

/** redis's utils/create-cluster: same server flags, then redis-cli --cluster create. */
async function createClusterReference(): Promise<number> {
  const dir = tempDir('twlab-bench-cc-')
  const base = 20_000 + ((await freePort()) % 100) * 100 + 50
  const ports = Array.from({length: 6}, (_, i) => base + i)
  const children: number[] = []
  const started = performance.now()
  try {
    for (const port of ports) {
      const child = spawn('redis-server', ['--port', String(port), '--protected-mode', 'yes', '--cluster-enabled', 'yes',
        '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '2000', '--appendonly', 'yes',
        '--appendfilename', `appendonly-${port}.aof`, '--appenddirname', `appendonlydir-${port}`, '--dbfilename', `dump-${port}.rdb`,
        '--logfile', join(dir, `${port}.log`), '--daemonize', 'no'], {cwd: dir, stdio: 'ignore'})
      if (child.pid) children.push(child.pid)
    }
    await Promise.all(ports.map((port) => waitForPort(port)))
    const create = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes'], {encoding: 'utf8', timeout: 60_000})
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`)
    await waitConverged(ports)
    return performance.now() - started
  } finally {
    await Promise.all(children.map((pid) => stopProcess(pid, 1000)))
    rmSync(dir, {recursive: true, force: true})
  }
}

async function twlabUp(): Promise<{wallMs: number; upMs: number}> {
  const lab = makeLabHome()
  try {
    const started = performance.now()
    const {result} = await lab.up(['--cluster', '--masters', '3', '--replicas', '1', '--name', 'bench', '--json'])
    const wallMs = performance.now() - started
    if (result.code !== 0) throw new Error(`twlab up failed: ${result.stderr}`)
    const up = JSON.parse(result.stdout)
    // Confirm with the same test as the reference, from outside.
    if (!(await converged(up.nodes.filter((n: {role: string}) => n.role !== 'proxy').map((n: {port: number}) => n.port)))) {
      throw new Error('twlab up returned before the cluster converged')
    }
    await lab.run(['down', '--name', 'bench'])
    return {wallMs, upMs: up.elapsedMs}
  } finally {
    await lab.cleanup()
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

const ours: Array<{wallMs: number; upMs: number}> = []
const reference: number[] = []
for (let round = 0; round < ROUNDS; round++) {
  reference.push(await createClusterReference())
  ours.push(await twlabUp())
}
const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`
console.log('3 masters + 3 replicas, from first process start to cluster_state:ok on every node with one slot map')
console.log(`  redis create-cluster (redis-server x6 + redis-cli --cluster create --cluster-yes): ${reference.map(fmt).join(', ')}  median ${fmt(median(reference))}`)
console.log(`  twlab up --cluster --masters 3 --replicas 1 (inside up):                            ${ours.map((r) => fmt(r.upMs)).join(', ')}  median ${fmt(median(ours.map((r) => r.upMs)))}`)
console.log(`  twlab up, whole CLI run (node + oclif start, port checks, state file):              ${ours.map((r) => fmt(r.wallMs)).join(', ')}  median ${fmt(median(ours.map((r) => r.wallMs)))}`)
console.log('  (redis masters report cluster_state:ok no sooner than 2 s after they start: CLUSTER_WRITABLE_DELAY in cluster.c)')
