// Benchmark: the same dataset (mixed types, a fifth with expiries; about a million keys by
// default) copied from three standalone sources into a fresh three-master cluster twice in one
// run: by `redis-cli --cluster import --cluster-copy` (one source at a time, one MIGRATE per key:
// its only mode) and by `twlab migrate` (all sources in parallel, pipelined). Prints keys/s for
// both and the ratio, where twlab's time goes (start-up, plan, copy), then the time `twlab
// migrate verify` takes over the copy, each figure with the load average it was measured under.
// On a shared machine wall time depends on what else runs, so each copy's CPU time is printed
// too: the tool's own process (bash `times`) plus every source and target server (INFO cpu),
// per key. Keys per source: TWLAB_BENCH_KEYS.
import {spawn} from 'node:child_process'
import {rmSync} from 'node:fs'
import {loadavg} from 'node:os'
import {join} from 'node:path'
import {Redis} from 'ioredis'
import {TWLAB, twlab} from '../support/cli.js'
import {startRedis, stopAll, tempDir} from '../support/servers.js'
import {startCluster, type TestCluster} from '../migrate/cluster-support.js'
import {fillMixed} from '../migrate/dataset.js'

const PER_SOURCE = Number(process.env.TWLAB_BENCH_KEYS ?? 333_334)

interface Timed {
  code: number | null
  stdout: string
  /** user + system CPU seconds of the command and its children */
  cpuSeconds: number
}

/** Runs a command under bash, whose `times` reports the CPU time the command used. */
function runTimed(command: string, args: string[]): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', '"$0" "$@" 2>/dev/null; code=$?; times >&2; exit $code', command, ...args],
      {stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk))
    child.once('error', reject)
    child.once('close', (code) => {
      // `times`: the shell's own user and system time, then its children's.
      const children = stderr.trim().split('\n').at(-1) ?? ''
      const cpuSeconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, m) => sum + Number(m[1]) * 60 + Number(m[2]), 0)
      resolve({code, stdout, cpuSeconds})
    })
  })
}

/** CPU seconds (user + system) the servers have used so far. */
async function serverCpu(ports: number[]): Promise<number> {
  let total = 0
  for (const port of ports) {
    const client = new Redis({host: '127.0.0.1', port})
    const info = await client.info('cpu')
    client.disconnect()
    for (const field of ['used_cpu_user', 'used_cpu_sys']) total += Number(new RegExp(`${field}:([\\d.]+)`).exec(info)?.[1] ?? 0)
  }
  return total
}

function cpuPerKey(toolSeconds: number, serverSeconds: number, keys: number): string {
  const us = (seconds: number) => ((seconds / Math.max(keys, 1)) * 1e6).toFixed(1)
  return `CPU ${us(toolSeconds + serverSeconds)} us/key (tool ${us(toolSeconds)}, servers ${us(serverSeconds)})`
}

function load(): string {
  return loadavg().map((n) => n.toFixed(1)).join(' ')
}

function seconds(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e9
}

async function clusterKeys(cluster: TestCluster): Promise<number> {
  let total = 0
  for (const master of cluster.masters) {
    const client = new Redis({host: '127.0.0.1', port: master.port})
    total += await client.dbsize()
    client.disconnect()
  }
  return total
}

async function main(): Promise<void> {
  const dir = tempDir('twlab-migrate-bench-')
  const clusters: TestCluster[] = []
  try {
    const sources = [await startRedis(), await startRedis(), await startRedis()]
    await Promise.all(sources.map(async (source, i) => {
      const client = new Redis({host: '127.0.0.1', port: source.port})
      await fillMixed(client, `bench${i}`, PER_SOURCE)
      client.disconnect()
    }))
    const total = PER_SOURCE * sources.length
    console.log(`dataset: ${total} keys (strings, lists, sets, sorted sets, hashes, streams; 20% with expiry) on 3 sources`)

    const forCli = await startCluster()
    clusters.push(forCli)
    const cliPorts = [...sources, ...forCli.masters].map((s) => s.port)
    const cliLoad = load()
    const cliServersBefore = await serverCpu(cliPorts)
    const cliStart = process.hrtime.bigint()
    let cliToolSeconds = 0
    for (const source of sources) {
      const run = await runTimed('redis-cli', ['--cluster', 'import', forCli.address, '--cluster-from', `127.0.0.1:${source.port}`, '--cluster-copy'])
      if (run.code !== 0) throw new Error(`redis-cli --cluster import exited with ${run.code}`)
      cliToolSeconds += run.cpuSeconds
    }
    const cliSeconds = seconds(cliStart)
    const cliServerSeconds = (await serverCpu(cliPorts)) - cliServersBefore
    const cliCopied = await clusterKeys(forCli)
    const cliRate = cliCopied / cliSeconds
    console.log(`redis-cli --cluster import --cluster-copy (3 sources in turn): ${cliCopied} keys in ${cliSeconds.toFixed(1)} s = ${Math.round(cliRate)} keys/s  [load ${cliLoad} -> ${load()}]`)
    console.log(`  ${cpuPerKey(cliToolSeconds, cliServerSeconds, cliCopied)}`)
    await forCli.stop()

    // Start-up alone: the same process starting and parsing its flags, no servers involved.
    const startupStart = process.hrtime.bigint()
    await twlab(['migrate', '--help'])
    const startupSeconds = seconds(startupStart)

    const forTwlab = await startCluster()
    clusters.push(forTwlab)
    const from = sources.map((s) => `127.0.0.1:${s.port}`).join(',')
    const twPorts = [...sources, ...forTwlab.masters].map((s) => s.port)
    const twLoad = load()
    const twServersBefore = await serverCpu(twPorts)
    const twStart = process.hrtime.bigint()
    const result = await runTimed(process.execPath, [TWLAB, 'migrate', '--from', from, '--to-cluster', forTwlab.address, '--no-verify', '--json',
      '--checkpoint', join(dir, 'bench.json')])
    const twSeconds = seconds(twStart)
    const twServerSeconds = (await serverCpu(twPorts)) - twServersBefore
    if (result.code !== 0) throw new Error(`twlab migrate exited with ${result.code}: ${result.stdout}`)
    const {migration} = JSON.parse(result.stdout)
    const twCopied = await clusterKeys(forTwlab)
    const twRate = twCopied / twSeconds
    console.log(`twlab migrate (whole command: start, plan, copy):              ${twCopied} keys in ${twSeconds.toFixed(1)} s = ${Math.round(twRate)} keys/s  [load ${twLoad} -> ${load()}]`)
    console.log(`  ${cpuPerKey(result.cpuSeconds, twServerSeconds, twCopied)}`)
    console.log(`  where the time goes: start-up ${startupSeconds.toFixed(2)} s (migrate --help), copy ${migration.copySeconds.toFixed(1)} s (${migration.keysPerSecond} keys/s), the rest (connect, plan, close) ${(twSeconds - migration.copySeconds - startupSeconds).toFixed(1)} s`)
    console.log(`ratio twlab / redis-cli: ${(twRate / cliRate).toFixed(1)}x (copy phase alone: ${(migration.keysPerSecond / cliRate).toFixed(1)}x)`)

    const verifyLoad = load()
    const verifyStart = process.hrtime.bigint()
    const verify = await twlab(['migrate', 'verify', '--from', from, '--to-cluster', forTwlab.address, '--json'], {timeoutMs: 1_800_000})
    const verifySeconds = seconds(verifyStart)
    const report = JSON.parse(verify.stdout)
    console.log(`twlab migrate verify (both ways, every key): ${report.checked} source keys and ${report.targetKeys} target keys in ${verifySeconds.toFixed(1)} s = ${Math.round(report.checked / verifySeconds)} keys/s, ${report.mismatches.length} mismatches  [load ${verifyLoad} -> ${load()}]`)
  } finally {
    for (const cluster of clusters) await cluster.stop()
    await stopAll()
    rmSync(dir, {recursive: true, force: true})
  }
}

await main()
