// twproxy against the real nutcracker, measured in the same run: three redis-servers, one pool over
// them served by nutcracker, twproxy (one process) and twproxy --workers 2, and redis-benchmark
// (-c 50, random keys over -r 100000 so traffic spreads, GET and SET, pipeline 1 and 16) against
// each, plus one redis-server directly as the floor. Prints ops/s, p50/p99, the proxy's CPU time
// per request and twproxy/nutcracker.
//
// The machine is shared, so its load drifts while the bench runs: every target is measured in
// each of BENCH_ROUNDS rounds (the order turned round each time, so none is always first), the
// ratio is taken within a round, and the medians are printed. CPU time per request (user + system,
// of the proxy's processes) is the figure least moved by other load.
import {spawn, spawnSync} from 'node:child_process'
import {existsSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {loadavg} from 'node:os'
import {join} from 'node:path'
import {TWPROXY} from '../support/cli.js'
import {freePort, startNutcracker, startRedis, stopAll, stopPid, tempDir, waitForPort} from '../support/servers.js'

interface Sample {
  rps: number
  p50: number
  p99: number
  /** CPU µs per request of the target's processes */
  cpu: number
}

interface Target {
  name: string
  port: number
  /** the processes whose CPU time is the target's */
  pids: () => number[]
}

const CLIENTS = 50
const KEYSPACE = 100_000
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const REQUESTS: Record<number, number> = {1: Number(process.env.BENCH_REQUESTS_P1 ?? 100_000), 16: Number(process.env.BENCH_REQUESTS_P16 ?? 500_000)}
const TESTS = ['SET', 'GET']
const WARMUP_REQUESTS = 20_000
const TICKS_PER_SECOND = 100

/** utime + stime of a process, in clock ticks (0 once it is gone). */
function cpuTicks(pid: number): number {
  const file = `/proc/${pid}/stat`
  if (!existsSync(file)) return 0
  const fields = readFileSync(file, 'utf8').split(') ')[1].split(' ')
  return Number(fields[11]) + Number(fields[12])
}

/** The direct children of a process (--workers: the primary's workers). */
function childPids(pid: number): number[] {
  const file = `/proc/${pid}/task/${pid}/children`
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
}

function benchmark(target: Target, pipeline: number, test: string, requests = REQUESTS[pipeline]): Sample {
  const pids = target.pids()
  const before = pids.reduce((sum, pid) => sum + cpuTicks(pid), 0)
  const result = spawnSync('redis-benchmark', [
    '-h', '127.0.0.1', '-p', String(target.port), '-c', String(CLIENTS), '-r', String(KEYSPACE), '-n', String(requests),
    '-P', String(pipeline), '-t', test.toLowerCase(), '--csv',
  ], {encoding: 'utf8', timeout: 600_000})
  const ticks = pids.reduce((sum, pid) => sum + cpuTicks(pid), 0) - before
  for (const line of result.stdout.split('\n')) {
    const cells = line.split(',').map((cell) => cell.replace(/"/g, ''))
    if (cells.length < 7 || cells[0] !== test) continue
    const cpu = (ticks / TICKS_PER_SECOND) * 1e6 / requests
    return {rps: Number(cells[1]), p50: Number(cells[4]), p99: Number(cells[6]), cpu}
  }
  throw new Error(`redis-benchmark gave no ${test} figures on port ${target.port}: ${result.stderr}`)
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

async function main(): Promise<void> {
  const dir = tempDir('twproxy-bench-')
  const redis = [await startRedis(), await startRedis(), await startRedis()]
  const [nutcrackerPort, twproxyPort, workersPort] = [await freePort(), await freePort(), await freePort()]
  const pool = (port: number) => `bench:\n  listen: 127.0.0.1:${port}\n  redis: true\n  hash: fnv1a_64\n  distribution: ketama\n` +
    `  servers:\n${redis.map((r, i) => `   - 127.0.0.1:${r.port}:1 server${i + 1}\n`).join('')}`
  const nutcracker = await startNutcracker({config: pool(nutcrackerPort), waitPort: nutcrackerPort})
  const startTwproxy = async (port: number, extra: string[]) => {
    const file = join(dir, `twproxy-${port}.yml`)
    writeFileSync(file, pool(port))
    const child = spawn(process.execPath, [TWPROXY, '-c', file, '-s', String(await freePort()), '-a', '127.0.0.1', '-o', join(dir, `twproxy-${port}.log`), ...extra], {stdio: 'ignore'})
    await waitForPort(port)
    return child
  }
  const single = await startTwproxy(twproxyPort, [])
  const workers = await startTwproxy(workersPort, ['--workers', '2'])
  const targets: Target[] = [
    {name: 'redis (one server, direct)', port: redis[0].port, pids: () => [redis[0].pid]},
    {name: 'nutcracker 0.5.0', port: nutcrackerPort, pids: () => [nutcracker.pid]},
    {name: 'twproxy', port: twproxyPort, pids: () => [single.pid!]},
    {name: 'twproxy --workers 2', port: workersPort, pids: () => [workers.pid!, ...childPids(workers.pid!)]},
  ]
  // samples[pipeline][target][test] holds one Sample per round
  const samples = new Map<number, Map<string, Map<string, Sample[]>>>()
  const loads: string[] = []
  try {
    // the same warm-up for every target: twproxy's hot path compiled, GET's keys present
    for (const target of targets) {
      process.stderr.write(`warming up ${target.name}...\n`)
      for (const test of TESTS) benchmark(target, 1, test, WARMUP_REQUESTS)
    }
    for (const pipeline of [1, 16]) {
      const byTarget = new Map(targets.map((t) => [t.name, new Map(TESTS.map((test) => [test, [] as Sample[]]))]))
      samples.set(pipeline, byTarget)
      const loadBefore = loadavg()[0]
      for (let round = 0; round < ROUNDS; round++) {
        const order = targets.map((_, i) => targets[(i + round) % targets.length])
        for (const target of order) {
          process.stderr.write(`round ${round + 1}/${ROUNDS}: ${target.name}, pipeline ${pipeline}...\n`)
          for (const test of TESTS) byTarget.get(target.name)!.get(test)!.push(benchmark(target, pipeline, test))
        }
      }
      loads.push(`-P ${pipeline}: 1-minute load ${loadBefore.toFixed(2)} before, ${loadavg()[0].toFixed(2)} after`)
    }
  } finally {
    await stopPid(single)
    await stopPid(workers)
    await nutcracker.stop()
    await stopAll()
    rmSync(dir, {recursive: true, force: true})
  }
  const cpus = (await import('node:os')).cpus().length
  console.log(`redis-benchmark -c ${CLIENTS} -r ${KEYSPACE} -t get,set; -n ${REQUESTS[1]} at -P 1, ${REQUESTS[16]} at -P 16; ` +
    `${ROUNDS} rounds, medians; ${cpus} CPUs shared by everything`)
  for (const line of loads) console.log(line)
  console.log(`${'target'.padEnd(28)} ${'P'.padStart(3)} ${'test'.padEnd(5)} ${'ops/s'.padStart(10)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ` +
    `${'cpu µs/req'.padStart(11)} ${'vs nutcracker'.padStart(14)}  ratio per round`)
  for (const [pipeline, byTarget] of samples) {
    const reference = byTarget.get('nutcracker 0.5.0')!
    for (const [target, byTest] of byTarget) {
      for (const [test, runs] of byTest) {
        let ratio = ''
        let perRound = ''
        if (target.startsWith('twproxy')) {
          const ratios = runs.map((run, round) => run.rps / reference.get(test)![round].rps)
          ratio = median(ratios).toFixed(2)
          perRound = ratios.map((r) => r.toFixed(2)).join(' ')
        }
        console.log(`${target.padEnd(28)} ${String(pipeline).padStart(3)} ${test.padEnd(5)} ` +
          `${median(runs.map((r) => r.rps)).toFixed(0).padStart(10)} ${median(runs.map((r) => r.p50)).toFixed(3).padStart(8)} ` +
          `${median(runs.map((r) => r.p99)).toFixed(3).padStart(8)} ${median(runs.map((r) => r.cpu)).toFixed(2).padStart(11)} ` +
          `${ratio.padStart(14)}  ${perRound}`)
      }
    }
  }
}

await main()
