// What a pool backed by a Redis Cluster costs against a nutcracker-style pool, in one run: three
// redis-servers behind a twproxy `servers:` pool, a three-master cluster behind a twproxy
// `cluster:` pool, and the cluster reached directly (redis-benchmark --cluster) as the floor.
// redis-benchmark -c 50 over random keys (-r 100000) runs SET, GET and MSET (10 keys: split per
// server in one pool, per slot in the other) at pipeline 1 and 16. Prints ops/s, p50/p99 and the
// proxy's CPU time per request, and cluster pool / servers pool within each round (medians).
import {spawn, spawnSync, type ChildProcess} from 'node:child_process'
import {existsSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {cpus, loadavg} from 'node:os'
import {join} from 'node:path'
import {TWPROXY} from '../support/cli.js'
import {freePort, startRedis, stopAll, stopPid, tempDir, waitForPort} from '../support/servers.js'
import {startCluster} from '../migrate/cluster-support.js'

interface Sample {
  rps: number
  p50: number
  p99: number
  /** CPU µs per request of the proxy (0 for the direct target) */
  cpu: number
}

interface Target {
  name: string
  port: number
  pid?: number
  cluster?: boolean
  tests: string[]
}

const CLIENTS = 50
const KEYSPACE = 100_000
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2)
const REQUESTS: Record<number, number> = {1: Number(process.env.BENCH_REQUESTS_P1 ?? 50_000), 16: Number(process.env.BENCH_REQUESTS_P16 ?? 200_000)}
const TICKS_PER_SECOND = 100

function cpuTicks(pid: number | undefined): number {
  if (pid === undefined || !existsSync(`/proc/${pid}/stat`)) return 0
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return Number(fields[11]) + Number(fields[12])
}

function benchmark(target: Target, pipeline: number, test: string, requests = REQUESTS[pipeline]): Sample {
  const before = cpuTicks(target.pid)
  const result = spawnSync('redis-benchmark', [
    '-h', '127.0.0.1', '-p', String(target.port), '-c', String(CLIENTS), '-r', String(KEYSPACE), '-n', String(requests),
    '-P', String(pipeline), '-t', test.toLowerCase(), '--csv', ...(target.cluster ? ['--cluster'] : []),
  ], {encoding: 'utf8', timeout: 600_000})
  const cpu = ((cpuTicks(target.pid) - before) / TICKS_PER_SECOND) * 1e6 / requests
  for (const line of result.stdout.split('\n')) {
    const cells = line.split(',').map((cell) => cell.replace(/"/g, ''))
    if (cells.length < 7 || !cells[0].startsWith(test)) continue
    return {rps: Number(cells[1]), p50: Number(cells[4]), p99: Number(cells[6]), cpu}
  }
  throw new Error(`redis-benchmark gave no ${test} figures on port ${target.port}: ${result.stderr}`)
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

async function startProxy(dir: string, port: number, config: string): Promise<ChildProcess> {
  const file = join(dir, `twproxy-${port}.yml`)
  writeFileSync(file, config)
  const child = spawn(process.execPath, [TWPROXY, '-c', file, '-s', String(await freePort()), '-a', '127.0.0.1', '-o', join(dir, `twproxy-${port}.log`)], {stdio: 'ignore'})
  await waitForPort(port)
  return child
}

async function main(): Promise<void> {
  const dir = tempDir('twproxy-cluster-bench-')
  const redis = [await startRedis(), await startRedis(), await startRedis()]
  const cluster = await startCluster({masters: 3, args: ['--cluster-node-timeout', '5000']})
  const [serversPort, clusterPort] = [await freePort(), await freePort()]
  const servers = await startProxy(dir, serversPort, `bench:\n  listen: 127.0.0.1:${serversPort}\n  redis: true\n  hash: fnv1a_64\n  distribution: ketama\n` +
    `  servers:\n${redis.map((r, i) => `   - 127.0.0.1:${r.port}:1 server${i + 1}\n`).join('')}`)
  const clustered = await startProxy(dir, clusterPort, `bench:\n  listen: 127.0.0.1:${clusterPort}\n  redis: true\n  cluster:\n   - ${cluster.address}\n`)
  const targets: Target[] = [
    {name: 'cluster direct (--cluster)', port: cluster.masters[0].port, cluster: true, tests: ['SET', 'GET']},
    {name: 'twproxy servers: pool', port: serversPort, pid: servers.pid, tests: ['SET', 'GET', 'MSET']},
    {name: 'twproxy cluster: pool', port: clusterPort, pid: clustered.pid, tests: ['SET', 'GET', 'MSET']},
  ]
  const samples = new Map<number, Map<string, Map<string, Sample[]>>>()
  const loads: string[] = []
  try {
    for (const target of targets) {
      process.stderr.write(`warming up ${target.name}...\n`)
      for (const test of target.tests) benchmark(target, 1, test, 10_000)
    }
    for (const pipeline of [1, 16]) {
      const byTarget = new Map(targets.map((t) => [t.name, new Map(t.tests.map((test) => [test, [] as Sample[]]))]))
      samples.set(pipeline, byTarget)
      const loadBefore = loadavg()[0]
      for (let round = 0; round < ROUNDS; round++) {
        const order = targets.map((_, i) => targets[(i + round) % targets.length])
        for (const target of order) {
          process.stderr.write(`round ${round + 1}/${ROUNDS}: ${target.name}, pipeline ${pipeline}...\n`)
          for (const test of target.tests) byTarget.get(target.name)!.get(test)!.push(benchmark(target, pipeline, test))
        }
      }
      loads.push(`-P ${pipeline}: 1-minute load ${loadBefore.toFixed(2)} before, ${loadavg()[0].toFixed(2)} after`)
    }
  } finally {
    await stopPid(servers)
    await stopPid(clustered)
    await cluster.stop()
    await stopAll()
    rmSync(dir, {recursive: true, force: true})
  }
  console.log(`redis-benchmark -c ${CLIENTS} -r ${KEYSPACE}; -n ${REQUESTS[1]} at -P 1, ${REQUESTS[16]} at -P 16; ${ROUNDS} rounds, medians; ${cpus().length} CPUs shared by everything`)
  for (const line of loads) console.log(line)
  console.log(`${'target'.padEnd(28)} ${'P'.padStart(3)} ${'test'.padEnd(5)} ${'ops/s'.padStart(10)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ` +
    `${'cpu µs/req'.padStart(11)} ${'cluster/servers'.padStart(16)}  per round`)
  for (const [pipeline, byTarget] of samples) {
    const reference = byTarget.get('twproxy servers: pool')!
    for (const [target, byTest] of byTarget) {
      for (const [test, runs] of byTest) {
        let ratio = ''
        let perRound = ''
        if (target === 'twproxy cluster: pool') {
          const ratios = runs.map((run, round) => run.rps / reference.get(test)![round].rps)
          ratio = median(ratios).toFixed(2)
          perRound = ratios.map((r) => r.toFixed(2)).join(' ')
        }
        console.log(`${target.padEnd(28)} ${String(pipeline).padStart(3)} ${test.padEnd(5)} ` +
          `${median(runs.map((r) => r.rps)).toFixed(0).padStart(10)} ${median(runs.map((r) => r.p50)).toFixed(3).padStart(8)} ` +
          `${median(runs.map((r) => r.p99)).toFixed(3).padStart(8)} ${median(runs.map((r) => r.cpu)).toFixed(2).padStart(11)} ` +
          `${ratio.padStart(16)}  ${perRound}`)
      }
    }
  }
}

await main()
