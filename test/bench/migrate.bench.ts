// Benchmark: the same dataset (mixed types, a fifth with expiries) copied from three standalone
// sources into a fresh three-master cluster twice in one run: by `redis-cli --cluster import
// --cluster-copy` (one source at a time, one MIGRATE per key: its only mode) and by
// `twlab migrate` (all sources in parallel, pipelined). Prints keys/s for both and the ratio,
// then the time `twlab migrate verify` takes over the copy. Keys per source: TWLAB_BENCH_KEYS.
import {spawn} from 'node:child_process'
import {loadavg} from 'node:os'
import {Redis} from 'ioredis'
import {twlab} from '../support/cli.js'
import {startRedis, stopAll} from '../support/servers.js'
import {startCluster, type TestCluster} from '../migrate/cluster-support.js'
import {fillMixed} from '../migrate/dataset.js'
import {tempDir} from '../support/servers.js'
import {rmSync} from 'node:fs'
import {join} from 'node:path'

const PER_SOURCE = Number(process.env.TWLAB_BENCH_KEYS ?? 50_000)

function run(command: string, args: string[]): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {stdio: 'ignore'})
    child.once('error', reject)
    child.once('exit', (code) => resolve(code))
  })
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
    for (const [i, source] of sources.entries()) {
      const client = new Redis({host: '127.0.0.1', port: source.port})
      await fillMixed(client, `bench${i}`, PER_SOURCE)
      client.disconnect()
    }
    const total = PER_SOURCE * sources.length
    console.log(`dataset: ${total} keys (strings, lists, sets, sorted sets, hashes, streams; 20% with expiry) on 3 sources`)

    const forCli = await startCluster()
    clusters.push(forCli)
    const cliStart = process.hrtime.bigint()
    for (const source of sources) {
      const code = await run('redis-cli', ['--cluster', 'import', forCli.address, '--cluster-from', `127.0.0.1:${source.port}`, '--cluster-copy'])
      if (code !== 0) throw new Error(`redis-cli --cluster import exited with ${code}`)
    }
    const cliSeconds = Number(process.hrtime.bigint() - cliStart) / 1e9
    const cliCopied = await clusterKeys(forCli)

    const forTwlab = await startCluster()
    clusters.push(forTwlab)
    const from = sources.map((s) => `127.0.0.1:${s.port}`).join(',')
    const twStart = process.hrtime.bigint()
    const result = await twlab(['migrate', '--from', from, '--to-cluster', forTwlab.address, '--no-verify', '--json',
      '--checkpoint', join(dir, 'bench.json')], {timeoutMs: 1_800_000})
    const twSeconds = Number(process.hrtime.bigint() - twStart) / 1e9
    if (result.code !== 0) throw new Error(`twlab migrate failed: ${result.stderr}`)
    const {migration} = JSON.parse(result.stdout)
    const twCopied = await clusterKeys(forTwlab)

    const verifyStart = process.hrtime.bigint()
    const verify = await twlab(['migrate', 'verify', '--from', from, '--to-cluster', forTwlab.address, '--json'], {timeoutMs: 1_800_000})
    const verifySeconds = Number(process.hrtime.bigint() - verifyStart) / 1e9
    const report = JSON.parse(verify.stdout)

    const cliRate = cliCopied / cliSeconds
    const twRate = twCopied / twSeconds
    console.log(`redis-cli --cluster import --cluster-copy (3 sources in turn): ${cliCopied} keys in ${cliSeconds.toFixed(1)} s = ${Math.round(cliRate)} keys/s`)
    console.log(`twlab migrate (whole command: start, plan, copy):              ${twCopied} keys in ${twSeconds.toFixed(1)} s = ${Math.round(twRate)} keys/s (copy phase alone: ${migration.keysPerSecond} keys/s)`)
    console.log(`ratio twlab / redis-cli: ${(twRate / cliRate).toFixed(1)}x`)
    console.log(`load average while measuring: ${loadavg().map((n) => n.toFixed(1)).join(' ')} (both runs share the machine)`)
    console.log(`twlab migrate verify (both ways, every key): ${report.checked} keys in ${verifySeconds.toFixed(1)} s = ${Math.round(report.checked / verifySeconds)} keys/s, ${report.mismatches.length} mismatches`)
  } finally {
    for (const cluster of clusters) await cluster.stop()
    await stopAll()
    rmSync(dir, {recursive: true, force: true})
  }
}

await main()
