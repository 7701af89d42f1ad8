// The migrate benchmark on mixed data (TWLAB_BENCH_DATA=mixed): a 3-server ketama pool
// (nutcracker.yml) holding strings, hashes, lists, sets, sorted sets and streams, a fifth with
// expiries, hash-tagged and binary keys, and one big hash, every key on the server the pool's
// hashing routes it to. In each round, on the same data and each into a fresh cluster:
// redis-cli --cluster import --cluster-copy (sources in turn), `twlab migrate --no-verify` (the
// copy), `twlab migrate verify` over that copy, and the default `twlab migrate` (copy + verify);
// the order rotates between rounds so no tool always runs first. Prints every round, then the
// medians and the ratios to redis-cli. Each figure with the tool's CPU and the servers' CPU
// (sources and target apart) and the busiest server commands (INFO commandstats).
// TWLAB_BENCH_KEYS: small keys in all (default 158,700); TWLAB_BENCH_ROUNDS (default 3);
// TWLAB_BENCH_BIG_FIELDS: fields of the big hash (default 50,000); TWLAB_BENCH_CPU_PROF=DIR:
// twlab runs under node --cpu-prof, profiles written to DIR; TWLAB_BENCH_STEPS=cli,copy,whole:
// which runs (copy: the copy then verify; whole: the default command).
import {writeFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {Redis} from 'ioredis'
import {PoolTarget, pickPool, readPoolConfig} from '../../src/targets/index.js'
import {TWLAB} from '../support/cli.js'
import {freePort, startRedis, stopAll, tempDir, type RunningServer} from '../support/servers.js'
import {startCluster, type TestCluster} from '../migrate/cluster-support.js'
import {clusterKeys, commandStats, commandStatsDelta, load, median, runTimed, seconds, serverCpu} from './migrate-measure.js'

const SMALL_KEYS = Number(process.env.TWLAB_BENCH_KEYS ?? 158_700)
const ROUNDS = Number(process.env.TWLAB_BENCH_ROUNDS ?? 3)
const BIG_FIELDS = Number(process.env.TWLAB_BENCH_BIG_FIELDS ?? 50_000)
const CPU_PROF = process.env.TWLAB_BENCH_CPU_PROF
const STEPS = (process.env.TWLAB_BENCH_STEPS ?? 'cli,copy,whole').split(',')

const TYPES = ['string', 'hash', 'list', 'set', 'zset', 'stream'] as const

/** The name of small key `i`: every 10th hash-tagged (groups of keys in one slot), every 97th binary. */
function keyName(i: number): Buffer {
  if (i % 97 === 5) return Buffer.concat([Buffer.from('bin:'), Buffer.from([0x00, 0xff, 0x0d, 0x0a, i & 0xff]), Buffer.from(String(i))])
  if (i % 10 === 7) return Buffer.from(`{acct:${i % 2000}}:item:${i}`)
  return Buffer.from(`mix:${i}`)
}

/** Writes the dataset, each key on the server the pool routes it to. */
export async function fillPool(pool: PoolTarget, clients: Map<string, Redis>): Promise<number> {
  const pipelines = new Map([...clients].map(([address, client]) => [address, client.pipeline()]))
  const flush = async () => {
    await Promise.all([...pipelines.values()].map((p) => p.exec()))
    for (const [address, client] of clients) pipelines.set(address, client.pipeline())
  }
  for (let i = 0; i < SMALL_KEYS; i++) {
    const key = keyName(i)
    const p = pipelines.get(pool.ownerOf(key).address) as ReturnType<Redis['pipeline']>
    switch (TYPES[i % TYPES.length]) {
      case 'string': p.set(key, `value-${i}-${'s'.repeat(24)}`); break
      case 'hash': p.hset(key, 'name', `user-${i}`, 'visits', String(i % 977), 'plan', i % 3 === 0 ? 'pro' : 'free'); break
      case 'list': p.rpush(key, 'a', String(i), `item-${i}`, 'z'); break
      case 'set': p.sadd(key, 'x', String(i), `member-${i}`); break
      case 'zset': p.zadd(key, 1.5, 'one', i, `i-${i}`, -i / 7, 'neg'); break
      case 'stream': p.xadd(key, '*', 'event', 'click', 'n', String(i)); break
    }
    if (i % 5 === 0) p.pexpire(key, 3_600_000 + i)
    if (i % 5000 === 4999) await flush()
  }
  await flush()
  const big = Buffer.from('big:hash')
  const bigOwner = clients.get(pool.ownerOf(big).address) as Redis
  for (let start = 0; start < BIG_FIELDS; start += 1000) {
    const fields = Array.from({length: Math.min(1000, BIG_FIELDS - start)}, (_, j) => start + j)
    await bigOwner.hset(big, ...fields.flatMap((f) => [`field-${f}`, `value-${f}-${'h'.repeat(20)}`]))
  }
  return SMALL_KEYS + (BIG_FIELDS > 0 ? 1 : 0)
}

interface Figure {
  seconds: number
  toolCpu: number
  sourceCpu: number
  targetCpu: number
}

type Step = 'redis-cli import' | 'twlab copy (--no-verify)' | 'twlab migrate verify' | 'twlab migrate (default)'

const twlabNode = (name: string) => (CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF}`, `--cpu-prof-name=${name}.cpuprofile`] : [])

async function measure(step: string, sourcePorts: number[], cluster: TestCluster, run: () => Promise<void>): Promise<Figure & {commands: string}> {
  const targetPorts = cluster.masters.map((m) => m.port)
  const [sourceBefore, targetBefore, statsBefore] = [await serverCpu(sourcePorts), await serverCpu(targetPorts), await commandStats([...sourcePorts, ...targetPorts])]
  const started = load()
  const start = process.hrtime.bigint()
  await run()
  const elapsed = seconds(start)
  const toolCpu = lastToolCpu
  const figure = {
    seconds: elapsed, toolCpu,
    sourceCpu: (await serverCpu(sourcePorts)) - sourceBefore,
    targetCpu: (await serverCpu(targetPorts)) - targetBefore,
    commands: commandStatsDelta(statsBefore, await commandStats([...sourcePorts, ...targetPorts])),
  }
  console.log(`  ${step.padEnd(26)} ${elapsed.toFixed(2)} s  CPU tool ${figure.toolCpu.toFixed(2)} s, sources ${figure.sourceCpu.toFixed(2)} s, target ${figure.targetCpu.toFixed(2)} s  [load ${started} -> ${load()}]`)
  console.log(`    ${figure.commands}`)
  return figure
}

let lastToolCpu = 0

async function timed(command: string, args: string[]): Promise<string> {
  const result = await runTimed(command, args)
  lastToolCpu = result.cpuSeconds
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.code}: ${result.stdout.slice(0, 2000)}`)
  return result.stdout
}

export async function mixedBench(): Promise<void> {
  const dir = tempDir('twlab-migrate-mixed-')
  const clusters: TestCluster[] = []
  const clients = new Map<string, Redis>()
  try {
    const sources: RunningServer[] = [await startRedis(), await startRedis(), await startRedis()]
    const config = join(dir, 'nutcracker.yml')
    writeFileSync(config, ['pool:', `  listen: 127.0.0.1:${await freePort()}`, '  hash: fnv1a_64', '  distribution: ketama', '  hash_tag: "{}"',
      '  redis: true', '  servers:', ...sources.map((s) => `   - 127.0.0.1:${s.port}:1`), ''].join('\n'))
    const pool = new PoolTarget(pickPool(await readPoolConfig(config), undefined))
    for (const s of sources) clients.set(`127.0.0.1:${s.port}`, new Redis({host: '127.0.0.1', port: s.port}))
    const total = await fillPool(pool, clients)
    await pool.close()
    const sizes = await Promise.all([...clients.values()].map((c) => c.dbsize()))
    console.log(`mixed dataset: ${total} keys in a 3-server ketama pool (${sizes.join(' / ')}): strings, hashes, lists, sets, sorted sets, streams, 20% with expiry, hash tags, binary keys, a big hash of ${BIG_FIELDS} fields`)
    const sourcePorts = sources.map((s) => s.port)
    const figures = new Map<Step, Figure[]>()
    const record = (step: Step, figure: Figure) => figures.set(step, [...(figures.get(step) ?? []), figure])
    const fresh = async () => {
      const cluster = await startCluster()
      clusters.push(cluster)
      return cluster
    }
    const done = async (cluster: TestCluster, what: string) => {
      const keys = await clusterKeys(cluster)
      if (keys !== total) throw new Error(`${what}: ${keys} keys on the cluster, ${total} expected`)
      await cluster.stop()
    }
    const runs: Record<string, () => Promise<void>> = {
      cli: async () => {
        const cluster = await fresh()
        record('redis-cli import', await measure('redis-cli import', sourcePorts, cluster, async () => {
          let cpu = 0
          for (const source of sources) {
            await timed('redis-cli', ['--cluster', 'import', cluster.address, '--cluster-from', `127.0.0.1:${source.port}`, '--cluster-copy'])
            cpu += lastToolCpu
          }
          lastToolCpu = cpu
        }))
        // redis-cli cannot carry keys holding a zero byte: it is timed on the rest, its count shown
        const copied = await clusterKeys(cluster)
        if (copied !== total) console.log(`    redis-cli copied ${copied} of the ${total} keys`)
        await cluster.stop()
      },
      copy: async () => {
        const cluster = await fresh()
        let copySeconds = 0
        record('twlab copy (--no-verify)', await measure('twlab copy (--no-verify)', sourcePorts, cluster, async () => {
          copySeconds = JSON.parse(await timed(process.execPath, [...twlabNode('copy'), TWLAB, 'migrate', '-c', config, '--to-cluster', cluster.address, '--no-verify', '--json', '--checkpoint', join(dir, 'copy.json')])).migration.copySeconds
        }))
        console.log(`    of which the copy phase: ${copySeconds.toFixed(2)} s`)
        let report = {checked: 0, mismatches: [] as unknown[]}
        record('twlab migrate verify', await measure('twlab migrate verify', sourcePorts, cluster, async () => {
          report = JSON.parse(await timed(process.execPath, [...twlabNode('verify'), TWLAB, 'migrate', 'verify', '-c', config, '--to-cluster', cluster.address, '--json']))
        }))
        if (report.checked !== total || report.mismatches.length > 0) throw new Error(`verify checked ${report.checked} keys (${total} expected), ${report.mismatches.length} mismatches`)
        await done(cluster, 'twlab copy')
      },
      whole: async () => {
        const cluster = await fresh()
        record('twlab migrate (default)', await measure('twlab migrate (default)', sourcePorts, cluster, async () => {
          await timed(process.execPath, [...twlabNode('default'), TWLAB, 'migrate', '-c', config, '--to-cluster', cluster.address, '--json', '--checkpoint', join(dir, 'default.json')])
        }))
        await done(cluster, 'twlab migrate')
      },
    }
    const order = Object.keys(runs).filter((name) => STEPS.includes(name))
    for (let round = 0; round < ROUNDS; round++) {
      const rotated = [...order.slice(round % order.length), ...order.slice(0, round % order.length)]
      console.log(`round ${round + 1}: ${rotated.join(', ')}`)
      for (const name of rotated) await runs[name]()
    }
    const cli = median((figures.get('redis-cli import') ?? []).map((f) => f.seconds))
    console.log(`medians of ${ROUNDS} round(s), ${total} keys:`)
    for (const [step, list] of figures) {
      const s = median(list.map((f) => f.seconds))
      const ratio = step === 'redis-cli import' ? '' : `  ${(cli / s).toFixed(1)}x redis-cli`
      console.log(`  ${step.padEnd(26)} ${s.toFixed(2)} s = ${Math.round(total / s).toString().padStart(7)} keys/s${ratio}  (CPU tool ${median(list.map((f) => f.toolCpu)).toFixed(2)} s, sources ${median(list.map((f) => f.sourceCpu)).toFixed(2)} s, target ${median(list.map((f) => f.targetCpu)).toFixed(2)} s)`)
    }
    const copy = median((figures.get('twlab copy (--no-verify)') ?? []).map((f) => f.seconds))
    const verify = median((figures.get('twlab migrate verify') ?? []).map((f) => f.seconds))
    console.log(`verify / copy time: ${(verify / copy).toFixed(2)} (at most 1 is verify at copy speed)`)
  } finally {
    for (const client of clients.values()) client.disconnect()
    for (const cluster of clusters) await cluster.stop()
    await stopAll()
    rmSync(dir, {recursive: true, force: true})
  }
}
