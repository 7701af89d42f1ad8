// What a pool backed by a Redis Cluster costs against a nutcracker-style pool, in one run: three
// redis-servers behind a twproxy `servers:` pool, a three-master cluster behind a twproxy
// `cluster:` pool, and the cluster reached directly (redis-benchmark --cluster) as the floor.
// redis-benchmark -c 50 over random keys (-r 100000) runs SET, GET and MSET (10 keys: split per
// server in one pool, per slot in the other) at pipeline 1 and 16. Prints ops/s, p50/p99 and the
// proxy's CPU time per request, and cluster pool / servers pool within each round (medians).
import {rmSync} from 'node:fs'
import {cpus} from 'node:os'
import {freePort, startRedis, stopAll, stopPid, tempDir} from '../support/servers.js'
import {startCluster} from '../migrate/cluster-support.js'
import {ketamaPool, measure, printSamples, startTwproxy, type BenchSettings, type BenchTarget} from './redis-benchmark.js'

const SETTINGS: BenchSettings = {
  clients: 50,
  keyspace: 100_000,
  requests: {1: Number(process.env.BENCH_REQUESTS_P1 ?? 50_000), 16: Number(process.env.BENCH_REQUESTS_P16 ?? 200_000)},
  rounds: Number(process.env.BENCH_ROUNDS ?? 2),
  warmupRequests: 10_000,
}

async function main(): Promise<void> {
  const dir = tempDir('twproxy-cluster-bench-')
  const redis = [await startRedis(), await startRedis(), await startRedis()]
  const cluster = await startCluster({masters: 3, args: ['--cluster-node-timeout', '5000']})
  const [serversPort, clusterPort] = [await freePort(), await freePort()]
  const servers = await startTwproxy(dir, serversPort, ketamaPool(serversPort, redis))
  const clustered = await startTwproxy(dir, clusterPort, `bench:\n  listen: 127.0.0.1:${clusterPort}\n  redis: true\n  cluster:\n   - ${cluster.address}\n`)
  const targets: BenchTarget[] = [
    {name: 'cluster direct (--cluster)', port: cluster.masters[0].port, pids: () => [], cluster: true, tests: ['SET', 'GET']},
    {name: 'twproxy servers: pool', port: serversPort, pids: () => [servers.pid!], tests: ['SET', 'GET', 'MSET']},
    {name: 'twproxy cluster: pool', port: clusterPort, pids: () => [clustered.pid!], tests: ['SET', 'GET', 'MSET']},
  ]
  let measured
  try {
    measured = measure(targets, SETTINGS)
  } finally {
    await stopPid(servers)
    await stopPid(clustered)
    await cluster.stop()
    await stopAll()
    rmSync(dir, {recursive: true, force: true})
  }
  console.log(`redis-benchmark -c ${SETTINGS.clients} -r ${SETTINGS.keyspace}; -n ${SETTINGS.requests[1]} at -P 1, ${SETTINGS.requests[16]} at -P 16; ${SETTINGS.rounds} rounds, medians; ${cpus().length} CPUs shared by everything`)
  for (const line of measured.loads) console.log(line)
  printSamples(measured.samples, 'twproxy servers: pool', (target) => target === 'twproxy cluster: pool', 'cluster/servers')
}

await main()
