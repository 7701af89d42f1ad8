// `npm run bench -- keys`: 1 million keys on 3 redis-servers (seeded with DEBUG POPULATE), then
// `twlab keys dist` (as a user runs it: a child process, SCAN over all servers in parallel)
// beside the reference of a plain `redis-cli --scan` over the same servers at the same time.
// Prints figures; never passes or fails on time.
import {spawn} from 'node:child_process'
import {rmSync, writeFileSync} from 'node:fs'
import {cpus, loadavg} from 'node:os'
import {join} from 'node:path'
import {Redis} from 'ioredis'
import {twlab} from '../support/cli.js'
import {freePort, startRedis, stopAll, tempDir} from '../support/servers.js'

const TOTAL = Number(process.env.KEYS_BENCH_TOTAL ?? 1_000_000)
const SERVERS = 3

/** Counts the keys `redis-cli --scan` prints, without keeping them. */
function redisCliScan(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    // redis-cli 7.0 has no --count: it scans with the server's default COUNT (10)
    const child = spawn('redis-cli', ['-h', '127.0.0.1', '-p', String(port), '--scan'], {stdio: ['ignore', 'pipe', 'inherit']})
    let lines = 0
    child.stdout.on('data', (chunk: Buffer) => {
      for (const byte of chunk) if (byte === 0x0a) lines++
    })
    child.once('error', reject)
    child.once('close', (code) => (code === 0 ? resolve(lines) : reject(new Error(`redis-cli exited ${code}`))))
  })
}

async function timed<T>(work: () => Promise<T>): Promise<{value: T; seconds: number}> {
  const started = process.hrtime.bigint()
  const value = await work()
  return {value, seconds: Number(process.hrtime.bigint() - started) / 1e9}
}

function row(label: string, keys: number, seconds: number): string {
  return `${label.padEnd(48)} ${String(keys).padStart(9)} keys ${seconds.toFixed(2).padStart(7)} s ${Math.round(keys / seconds).toLocaleString('en-US').padStart(12)} keys/s`
}

async function main(): Promise<void> {
  const dir = tempDir('twlab-keys-bench-')
  try {
    const servers = await Promise.all(Array.from({length: SERVERS}, () => startRedis({args: ['--enable-debug-command', 'local']})))
    const perServer = Math.ceil(TOTAL / SERVERS)
    const seeding = await timed(() => Promise.all(servers.map(async (server, index) => {
      const client = new Redis({host: '127.0.0.1', port: server.port})
      await client.call('DEBUG', 'POPULATE', perServer, `s${index}:key`, 16)
      client.disconnect()
    })))
    const names = servers.map((_server, index) => `s${index}`)
    const configFile = join(dir, 'nutcracker.yml')
    writeFileSync(configFile, [
      'bench:',
      `  listen: 127.0.0.1:${await freePort()}`,
      '  hash: fnv1a_64',
      '  distribution: ketama',
      '  redis: true',
      '  servers:',
      ...servers.map((server, index) => `   - 127.0.0.1:${server.port}:1 ${names[index]}`),
      '',
    ].join('\n'))
    const total = perServer * SERVERS
    console.log(`${total.toLocaleString('en-US')} keys on ${SERVERS} redis-servers (seeded in ${seeding.seconds.toFixed(2)} s with DEBUG POPULATE)`)

    const reference = await timed(() => Promise.all(servers.map((server) => redisCliScan(server.port))))
    const referenceKeys = reference.value.reduce((sum, count) => sum + count, 0)

    const runDist = async (extra: string[]) => {
      const run = await timed(() => twlab(['keys', 'dist', '-c', configFile, '--json', ...extra], {timeoutMs: 600_000}))
      if (run.value.code !== 0) throw new Error(`keys dist failed: ${run.value.stderr}`)
      return {report: JSON.parse(run.value.stdout), wall: run.seconds}
    }
    const dist = await runDist([])
    const memory = await runDist(['--memory'])
    const audit = await timed(() => twlab(['keys', 'audit', '-c', configFile, '--json', '--limit', '0'], {timeoutMs: 600_000}))
    const auditReport = JSON.parse(audit.value.stdout)

    console.log(row('redis-cli --scan (COUNT 10), 3 servers parallel', referenceKeys, reference.seconds))
    console.log(row('twlab keys dist, COUNT 1000 (scan phase)', dist.report.totalKeys, dist.report.seconds))
    console.log(row('twlab keys dist (whole command, with start-up)', dist.report.totalKeys, dist.wall))
    console.log(row('twlab keys dist --memory (scan phase)', memory.report.totalKeys, memory.report.seconds))
    console.log(row('twlab keys audit (whole command)', auditReport.nodes.reduce((sum: number, node: {checked: number}) => sum + node.checked, 0), audit.seconds))
    console.log(`keys dist scan vs redis-cli --scan: ${(reference.seconds / dist.report.seconds).toFixed(2)}x the reference's speed`)
    // the figures only mean something beside the machine's load while they were taken
    console.log(`load average (1, 5, 15 min): ${loadavg().map((load) => load.toFixed(2)).join(', ')} on ${cpus().length} cores`)
    console.log(`audit found ${auditReport.totalMisplaced.toLocaleString('en-US')} keys off their ketama server (DEBUG POPULATE ignores hashing)`)
  } finally {
    await stopAll()
    rmSync(dir, {recursive: true, force: true})
  }
}

await main()
