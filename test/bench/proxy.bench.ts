// twproxy against the real nutcracker, measured in the same run: three redis-servers, one pool over
// them served by nutcracker, twproxy (one process) and twproxy --workers 2, and redis-benchmark
// (-c 50, random keys over -r 100000 so traffic spreads, GET and SET, pipeline 1 and 16) against
// each, plus one redis-server directly as the floor. Prints ops/s, p50/p99 and twproxy/nutcracker.
import {spawn, spawnSync} from 'node:child_process'
import {rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {TWPROXY} from '../support/cli.js'
import {freePort, startNutcracker, startRedis, stopAll, stopPid, tempDir, waitForPort} from '../support/servers.js'

interface Row {
  target: string
  pipeline: number
  test: string
  rps: number
  p50: number
  p99: number
}

const CLIENTS = 50
const KEYSPACE = 100_000
const REQUESTS: Record<number, number> = {1: Number(process.env.BENCH_REQUESTS_P1 ?? 200_000), 16: Number(process.env.BENCH_REQUESTS_P16 ?? 1_000_000)}

function benchmark(port: number, pipeline: number): Array<Omit<Row, 'target'>> {
  const result = spawnSync('redis-benchmark', [
    '-h', '127.0.0.1', '-p', String(port), '-c', String(CLIENTS), '-r', String(KEYSPACE), '-n', String(REQUESTS[pipeline]),
    '-P', String(pipeline), '-t', 'get,set', '--csv',
  ], {encoding: 'utf8', timeout: 600_000})
  const rows: Array<Omit<Row, 'target'>> = []
  for (const line of result.stdout.split('\n')) {
    const cells = line.split(',').map((cell) => cell.replace(/"/g, ''))
    if (cells.length < 7 || cells[0] === 'test') continue
    rows.push({pipeline, test: cells[0], rps: Number(cells[1]), p50: Number(cells[4]), p99: Number(cells[6])})
  }
  if (rows.length === 0) throw new Error(`redis-benchmark gave no figures on port ${port}: ${result.stderr}`)
  return rows
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
  const targets: Array<[string, number]> = [
    ['redis (one server, direct)', redis[0].port],
    ['nutcracker 0.5.0', nutcrackerPort],
    ['twproxy', twproxyPort],
    ['twproxy --workers 2', workersPort],
  ]
  const rows: Row[] = []
  try {
    for (const pipeline of [1, 16]) {
      for (const [target, port] of targets) {
        process.stderr.write(`benchmarking ${target}, pipeline ${pipeline}...\n`)
        for (const row of benchmark(port, pipeline)) rows.push({target, ...row})
      }
    }
  } finally {
    await stopPid(single)
    await stopPid(workers)
    await nutcracker.stop()
    await stopAll()
    rmSync(dir, {recursive: true, force: true})
  }
  const cpus = (await import('node:os')).cpus().length
  console.log(`redis-benchmark -c ${CLIENTS} -r ${KEYSPACE} -t get,set; -n ${REQUESTS[1]} at -P 1, ${REQUESTS[16]} at -P 16; ${cpus} CPUs shared by everything`)
  console.log(`${'target'.padEnd(28)} ${'P'.padStart(3)} ${'test'.padEnd(5)} ${'ops/s'.padStart(10)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'vs nutcracker'.padStart(14)}`)
  for (const row of rows) {
    const reference = rows.find((r) => r.target.startsWith('nutcracker') && r.pipeline === row.pipeline && r.test === row.test)
    const ratio = row.target.startsWith('twproxy') && reference ? (row.rps / reference.rps).toFixed(2) : ''
    console.log(`${row.target.padEnd(28)} ${String(row.pipeline).padStart(3)} ${row.test.padEnd(5)} ${row.rps.toFixed(0).padStart(10)} ${row.p50.toFixed(3).padStart(8)} ${row.p99.toFixed(3).padStart(8)} ${ratio.padStart(14)}`)
  }
}

await main()
