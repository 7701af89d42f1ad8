// Benchmark: the same dataset (mixed types, a fifth with expiries; about a million keys by
// default) copied from three standalone sources into a fresh three-master cluster twice in one
// run: by `redis-cli --cluster import --cluster-copy` (one source at a time, one MIGRATE per key:
// its only mode) and by `twlab migrate` (all sources in parallel, pipelined). Prints keys/s for
// both and the ratio, where twlab's time goes (start-up, plan, copy), then the time `twlab
// migrate verify` takes over the copy, each figure with the load average it was measured under.
// Keys per source: TWLAB_BENCH_KEYS.
import {spawn} from 'node:child_process'
import {rmSync} from 'node:fs'
import {loadavg} from 'node:os'
import {join} from 'node:path'
import {Redis} from 'ioredis'
import {twlab} from '../support/cli.js'
import {startRedis, stopAll, tempDir} from '../support/servers.js'
import {startCluster, type TestCluster} from '../migrate/cluster-support.js'
import {fillMixed} from '../migrate/dataset.js'

const PER_SOURCE = Number(process.env.TWLAB_BENCH_KEYS ?? 333_334)

function run(command: string, args: string[]): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {stdio: 'ignore'})
    child.once('error', reject)
    child.once('exit', (code) => resolve(code))
  })
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
    const cliLoad = load()
    const cliStart = process.hrtime.bigint()
    for (const source of sources) {
      const code = await run('redis-cli', ['--cluster', 'import', forCli.address, '--cluster-from', `127.0.0.1:${source.port}`, '--cluster-copy'])
      if (code !== 0) throw new Error(`redis-cli --cluster import exited with ${code}`)
    }
    const cliSeconds = seconds(cliStart)
    const cliCopied = await clusterKeys(forCli)
    const cliRate = cliCopied / cliSeconds
    console.log(`redis-cli --cluster import --cluster-copy (3 sources in turn): ${cliCopied} keys in ${cliSeconds.toFixed(1)} s = ${Math.round(cliRate)} keys/s  [load ${cliLoad} -> ${load()}]`)
    await forCli.stop()

    // Start-up alone: the same process starting and parsing its flags, no servers involved.
    const startupStart = process.hrtime.bigint()
    await twlab(['migrate', '--help'])
    const startupSeconds = seconds(startupStart)

    const forTwlab = await startCluster()
    clusters.push(forTwlab)
    const from = sources.map((s) => `127.0.0.1:${s.port}`).join(',')
    const twLoad = load()
    const twStart = process.hrtime.bigint()
    const result = await twlab(['migrate', '--from', from, '--to-cluster', forTwlab.address, '--no-verify', '--json',
      '--checkpoint', join(dir, 'bench.json')], {timeoutMs: 1_800_000})
    const twSeconds = seconds(twStart)
    if (result.code !== 0) throw new Error(`twlab migrate failed: ${result.stderr}`)
    const {migration} = JSON.parse(result.stdout)
    const twCopied = await clusterKeys(forTwlab)
    const twRate = twCopied / twSeconds
    console.log(`twlab migrate (whole command: start, plan, copy):              ${twCopied} keys in ${twSeconds.toFixed(1)} s = ${Math.round(twRate)} keys/s  [load ${twLoad} -> ${load()}]`)
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
