// `npm run bench -- lab`: how long a 3-master, 3-replica Redis Cluster takes to be usable, with
// `twlab up --cluster --masters 3 --replicas 1` and with redis's own create-cluster procedure
// (6 redis-server processes, `redis-cli --cluster create --cluster-replicas 1 --cluster-yes`),
// both timed from the first process start: until redis-cli returns, and until every node reports
// cluster_state:ok and all nodes agree on the slot map (what `twlab up` waits for before it
// returns). Rounds alternate which goes first; medians side by side with their ratio. Prints
// figures, never pass/fail. Masters say cluster_state:ok no sooner than 2 s after they start
// (CLUSTER_WRITABLE_DELAY in redis's cluster.c), a floor both sides share.
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

const ROUNDS = 5

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
async function createClusterReference(): Promise<{createdMs: number; readyMs: number}> {
  const dir = tempDir('twlab-bench-cc-')
  // below the ephemeral range, bus ports (port + 10000) included, as lab ports are
  const base = 12_000 + ((await freePort()) % 100) * 100 + 50
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
    const createdMs = performance.now() - started
    await waitConverged(ports)
    return {createdMs, readyMs: performance.now() - started}
  } finally {
    await Promise.all(children.map((pid) => stopProcess(pid, 1000)))
    rmSync(dir, {recursive: true, force: true})
  }
}

async function twlabUp(): Promise<{wallMs: number; upMs: number}> {
  const lab = makeLabHome()
  try {
    const started = performance.now()
    const {result} = await lab.up(['--cluster', '--masters', '3', '--replicas', '1', '--lab', 'bench', '--json'])
    const wallMs = performance.now() - started
    if (result.code !== 0) throw new Error(`twlab up failed: ${result.stderr}`)
    const up = JSON.parse(result.stdout)
    // Confirm with the same test as the reference, from outside.
    if (!(await converged(up.nodes.filter((n: {role: string}) => n.role !== 'proxy').map((n: {port: number}) => n.port)))) {
      throw new Error('twlab up returned before the cluster converged')
    }
    await lab.run(['down', '--lab', 'bench'])
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
const reference: Array<{createdMs: number; readyMs: number}> = []
for (let round = 0; round < ROUNDS; round++) {
  // rotate the order, so neither side always runs on a machine the other just warmed or loaded
  if (round % 2 === 0) {
    reference.push(await createClusterReference())
    ours.push(await twlabUp())
  } else {
    ours.push(await twlabUp())
    reference.push(await createClusterReference())
  }
}
const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`
const row = (label: string, values: number[], against?: number) =>
  console.log(`  ${label.padEnd(78)} ${fmt(median(values))}${against ? `  (x${(median(values) / against).toFixed(2)})` : ''}   rounds: ${values.map(fmt).join(', ')}`)
const referenceReady = median(reference.map((r) => r.readyMs))
console.log(`3 masters + 3 replicas, medians of ${ROUNDS} rounds (order rotated), from the first process start; (xN) = ratio to the reference's ready time`)
row('reference: redis-server x6 + redis-cli --cluster create --cluster-yes, until it returns', reference.map((r) => r.createdMs), referenceReady)
row('reference: the same, until cluster_state:ok on every node with one slot map (ready)', reference.map((r) => r.readyMs))
row('twlab up --cluster --masters 3 --replicas 1: until ready (inside up, it returns then)', ours.map((r) => r.upMs), referenceReady)
row('twlab up, whole CLI run (node + oclif start, port checks, state file)', ours.map((r) => r.wallMs), referenceReady)
console.log('  (masters say cluster_state:ok no sooner than 2 s after they start: CLUSTER_WRITABLE_DELAY in redis\'s cluster.c; redis-cli returns before that, its cluster is not serving yet)')
