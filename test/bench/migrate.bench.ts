// Benchmark: the same dataset (mixed types, a fifth with expiries; about a million keys by
// default) copied from three standalone sources into a fresh three-master cluster twice in one
// run: by `redis-cli --cluster import --cluster-copy` (one source at a time, one MIGRATE per key:
// its only mode) and by `twlab migrate` (all sources in parallel, pipelined), then `twlab migrate
// verify` of that copy: twlab's copy and verify in turn over TWLAB_BENCH_PAIRS rounds (default 3,
// a fresh cluster each), their medians, the ratios to redis-cli and verify's rate against the
// copy's; where twlab's time goes (start-up, plan, copy); each figure with its load average.
// On a shared machine wall time depends on what else runs, so each copy's CPU time is printed
// too: the tool's own process (bash `times`) plus every source and target server (INFO cpu),
// per key. Then the same data copied online twice more, by each change capture: SCAN+DUMP with
// keyspace notifications, and replication (each source's RDB snapshot, then its command stream):
// snapshot keys/s, stream ops/s (distinct keys written on the sources after the copy, until the
// last is on the cluster) and the sources' CPU per key (utime+stime of the redis-server processes,
// from /proc/<pid>/stat, the BGSAVE child a snapshot forks included). Keys per source: TWLAB_BENCH_KEYS.
import {existsSync, readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {Cluster, Redis} from 'ioredis'
import {TWLAB, twlab} from '../support/cli.js'
import {sleep, startRedis, stopAll, tempDir, type RunningServer} from '../support/servers.js'
import {startCluster, type TestCluster} from '../migrate/cluster-support.js'
import {fillMixed} from '../migrate/dataset.js'
import {clusterKeys, cpuPerKey, load, median, runTimed, seconds, serverCpu} from './migrate-measure.js'
import {mixedBench} from './migrate-mixed.js'

const PER_SOURCE = Number(process.env.TWLAB_BENCH_KEYS ?? 333_334)

/**
 * CPU seconds the processes have used so far, their reaped children included (a snapshot's
 * BGSAVE child): utime + stime + cutime + cstime from /proc/<pid>/stat.
 */
function processCpu(pids: number[]): number {
  let ticks = 0
  for (const pid of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]) // fields 14-17 of the line
  }
  return ticks / 100
}

function bulkDone(checkpoint: string): boolean {
  if (!existsSync(checkpoint)) return false
  try {
    return (JSON.parse(readFileSync(checkpoint, 'utf8')) as {sources: Array<{done: boolean}>}).sources.every((s) => s.done)
  } catch {
    return false // caught mid-rename
  }
}

const STREAM_KEYS_PER_SOURCE = 30_000

/**
 * One online migration with `capture`: the snapshot's rate from the run's own copy phase; then,
 * once the copy is done, STREAM_KEYS_PER_SOURCE distinct keys written on every source and timed
 * until the last one (a marker written after them) is on the cluster.
 */
async function onlineRun(capture: 'notifications' | 'replication', sources: RunningServer[], dir: string): Promise<{cluster: TestCluster; line: string}> {
  const cluster = await startCluster()
  const from = sources.map((s) => `127.0.0.1:${s.port}`).join(',')
  const checkpoint = join(dir, `online-${capture}.json`)
  const sourceCpuBefore = processCpu(sources.map((s) => s.pid))
  const started = load()
  // a write every 100 ms keeps the sources from looking quiet while the copy runs, as a live service would
  const keepalive = new Redis({host: '127.0.0.1', port: sources[0].port})
  let beat = 0
  const heartbeat = setInterval(() => void keepalive.set('bench:heartbeat', String(beat++)), 100)
  const run = runTimed(process.execPath, [TWLAB, 'migrate', '--from', from, '--to-cluster', cluster.address, '--online', '--capture', capture,
    '--quiet-for', '3', '--no-verify', '--json', '--checkpoint', checkpoint])
  let ended = false
  void run.finally(() => (ended = true))
  for (let i = 0; i < 60_000 && !bulkDone(checkpoint) && !ended; i++) await sleep(20)
  if (ended) throw new Error(`twlab migrate --capture ${capture} ended before its copy was seen done: ${(await run).stdout}`)
  const sourceCpuSnapshot = processCpu(sources.map((s) => s.pid)) - sourceCpuBefore
  const clients = sources.map((s) => new Redis({host: '127.0.0.1', port: s.port}))
  const streamStart = process.hrtime.bigint()
  await Promise.all(clients.map(async (client, i) => {
    for (let from = 0; from < STREAM_KEYS_PER_SOURCE; from += 1000) {
      const pipeline = client.pipeline()
      for (let n = from; n < from + 1000; n++) pipeline.set(`stream:${i}:${n}`, `v${n}`)
      await pipeline.exec()
    }
    await client.set(`{marker}:${capture}:${i}`, 'last')
  }))
  const markers = sources.map((_, i) => `{marker}:${capture}:${i}`)
  const target = new Cluster([{host: '127.0.0.1', port: cluster.masters[0].port}])
  for (let i = 0; i < 30_000 && (await target.exists(...markers)) < markers.length; i++) await sleep(5)
  const streamSeconds = seconds(streamStart)
  clearInterval(heartbeat)
  keepalive.disconnect()
  if ((await target.exists(...markers)) < markers.length) throw new Error(`the writes made after the copy did not all reach the cluster (--capture ${capture})`)
  target.disconnect()
  clients.forEach((c) => c.disconnect())
  const result = await run
  if (result.code !== 0) throw new Error(`twlab migrate --capture ${capture} exited with ${result.code}: ${result.stdout}`)
  const {migration} = JSON.parse(result.stdout)
  const keys = migration.stats.scanned
  const streamOps = STREAM_KEYS_PER_SOURCE * sources.length
  const us = (cpu: number, n: number) => ((cpu / Math.max(n, 1)) * 1e6).toFixed(1)
  const label = capture === 'replication' ? 'replication (RDB snapshot + command stream)' : 'SCAN+DUMP + keyspace notifications        '
  return {cluster, line: `twlab migrate --online --capture ${label}: snapshot ${keys} keys in ${migration.copySeconds.toFixed(1)} s = ${migration.keysPerSecond} keys/s, source CPU ${us(sourceCpuSnapshot, keys)} us/key; stream ${streamOps} ops in ${streamSeconds.toFixed(2)} s = ${Math.round(streamOps / streamSeconds)} ops/s  [load ${started} -> ${load()}]`}
}

/** Rounds of copy then verify, each into a fresh cluster: TWLAB_BENCH_PAIRS (default 3). */
const PAIRS = Number(process.env.TWLAB_BENCH_PAIRS ?? 3)

/** One copy by `twlab migrate --no-verify` into a fresh cluster, then `twlab migrate verify` of it, each timed with its CPU. */
async function copyThenVerify(sources: RunningServer[], dir: string, round: number) {
  const cluster = await startCluster()
  try {
    const from = sources.map((s) => `127.0.0.1:${s.port}`).join(',')
    const ports = [...sources, ...cluster.masters].map((s) => s.port)
    const copyLoad = load()
    const copyServersBefore = await serverCpu(ports)
    const copyStart = process.hrtime.bigint()
    const copy = await runTimed(process.execPath, [TWLAB, 'migrate', '--from', from, '--to-cluster', cluster.address, '--no-verify', '--json',
      '--checkpoint', join(dir, `bench-${round}.json`)])
    const copySeconds = seconds(copyStart)
    const copyServerSeconds = (await serverCpu(ports)) - copyServersBefore
    if (copy.code !== 0) throw new Error(`twlab migrate exited with ${copy.code}: ${copy.stdout}`)
    const {migration} = JSON.parse(copy.stdout)
    const copied = await clusterKeys(cluster)
    const verifyLoad = load()
    const verifyServersBefore = await serverCpu(ports)
    const verifyStart = process.hrtime.bigint()
    const verify = await runTimed(process.execPath, [TWLAB, 'migrate', 'verify', '--from', from, '--to-cluster', cluster.address, '--json'])
    const verifySeconds = seconds(verifyStart)
    const verifyServerSeconds = (await serverCpu(ports)) - verifyServersBefore
    const report = JSON.parse(verify.stdout)
    return {
      copied, copySeconds, copyRate: copied / copySeconds, copyLoad: `${copyLoad} -> ${load()}`,
      copyCpu: cpuPerKey(copy.cpuSeconds, copyServerSeconds, copied),
      copyPhaseSeconds: migration.copySeconds as number, copyPhaseRate: migration.keysPerSecond as number,
      checked: report.checked as number, targetKeys: report.targetKeys as number, mismatches: report.mismatches.length as number,
      verifySeconds, verifyRate: report.checked / verifySeconds, verifyLoad: `${verifyLoad} -> ${load()}`,
      verifyCpu: cpuPerKey(verify.cpuSeconds, verifyServerSeconds, report.checked),
    }
  } finally {
    await cluster.stop()
  }
}

async function main(): Promise<void> {
  if (process.env.TWLAB_BENCH_DATA === 'mixed') return mixedBench()
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

    const pairs = []
    for (let round = 1; round <= PAIRS; round++) {
      const pair = await copyThenVerify(sources, dir, round)
      pairs.push(pair)
      console.log(`round ${round}:`)
      console.log(`  twlab migrate (whole command: start, plan, copy):   ${pair.copied} keys in ${pair.copySeconds.toFixed(1)} s = ${Math.round(pair.copyRate)} keys/s  [load ${pair.copyLoad}]`)
      console.log(`    ${pair.copyCpu}`)
      console.log(`    where the time goes: start-up ${startupSeconds.toFixed(2)} s (migrate --help), copy ${pair.copyPhaseSeconds.toFixed(1)} s (${pair.copyPhaseRate} keys/s), the rest (connect, plan, close) ${(pair.copySeconds - pair.copyPhaseSeconds - startupSeconds).toFixed(1)} s`)
      console.log(`  twlab migrate verify (both ways, every key):        ${pair.checked} source keys and ${pair.targetKeys} target keys in ${pair.verifySeconds.toFixed(1)} s = ${Math.round(pair.verifyRate)} keys/s, ${pair.mismatches} mismatches  [load ${pair.verifyLoad}]`)
      console.log(`    ${pair.verifyCpu}`)
    }
    const copyRate = median(pairs.map((p) => p.copyRate))
    const verifyRate = median(pairs.map((p) => p.verifyRate))
    console.log(`medians of ${PAIRS} round(s) (copy and verify in turn on the same data): copy ${Math.round(copyRate)} keys/s (copy phase ${Math.round(median(pairs.map((p) => p.copyPhaseRate)))} keys/s), verify ${Math.round(verifyRate)} keys/s`)
    console.log(`ratio twlab / redis-cli: ${(copyRate / cliRate).toFixed(1)}x (copy phase alone: ${(median(pairs.map((p) => p.copyPhaseRate)) / cliRate).toFixed(1)}x)`)
    console.log(`verify / copy (whole commands): ${(verifyRate / copyRate).toFixed(2)}x the copy's keys/s (at least 1: verify at copy speed); per round: ${pairs.map((p) => (p.verifyRate / p.copyRate).toFixed(2)).join(', ')}`)

    for (const capture of ['notifications', 'replication'] as const) {
      const {cluster, line} = await onlineRun(capture, sources, dir)
      clusters.push(cluster)
      console.log(line)
      await cluster.stop()
      // the next run starts from the same data
      await Promise.all(sources.map(async (source) => {
        const client = new Redis({host: '127.0.0.1', port: source.port})
        for (let from = 0; from < STREAM_KEYS_PER_SOURCE; from += 1000) {
          await client.del(...Array.from({length: 1000}, (_, n) => `stream:${sources.indexOf(source)}:${from + n}`))
        }
        await client.del(`{marker}:${capture}:${sources.indexOf(source)}`)
        client.disconnect()
      }))
    }
  } finally {
    for (const cluster of clusters) await cluster.stop()
    await stopAll()
    rmSync(dir, {recursive: true, force: true})
  }
}

await main()
