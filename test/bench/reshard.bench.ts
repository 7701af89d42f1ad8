// Reshard speed: the same 1000 slots holding the same keys, moved on the same 3-master cluster by
// `redis-cli --cluster reshard` (A -> B) and by `twlab reshard` (back B -> A), timed as a user sees
// it (whole command, wall clock), in one run.
//
// The dataset: slots 0-999 (1000 of 16384, what `--slots 1000` takes from one master), 64-byte
// string values, in two sizes: 100 keys per slot (100k keys; a cluster of about 1.6M keys) and
// 500 keys per slot (500k keys; a cluster of about 8M keys, a realistic production size). Moving
// costs per key, and the larger set is where a reshard takes long enough to matter; there twlab's
// fixed costs (node start-up, connecting, reading the slot map) weigh less. Strings keep the cost
// per key the same for both tools, so the ratio measures the protocol, not the data.
// BENCH_KEYS_PER_SLOT=N (one size) and BENCH_SLOTS=N change the dataset.
//
// Prints for each size: both tools' time and keys/s, twlab's phases (start-up, preflight,
// moving), the ratio for the whole command and for moving alone, and the load average.
import {spawn} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {loadavg, tmpdir} from 'node:os'
import {join} from 'node:path'
import type {Redis} from 'ioredis'
import {keySlot} from '../../src/hashing/index.js'
import {twlab} from '../support/cli.js'
import {stopAll} from '../support/servers.js'
import {evenRanges, startCluster, waitClusterStable, type TestCluster} from '../reshard/cluster-fixture.js'

const SLOTS = Number(process.env.BENCH_SLOTS ?? 1000)
const SIZES = process.env.BENCH_KEYS_PER_SLOT ? [Number(process.env.BENCH_KEYS_PER_SLOT)] : [100, 500]
const VALUE = 'v'.repeat(64)

function run(command: string, args: string[]): Promise<{code: number | null; out: string}> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {stdio: ['ignore', 'pipe', 'pipe']})
    let out = ''
    child.stdout.on('data', (chunk) => (out += chunk))
    child.stderr.on('data', (chunk) => (out += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), 600_000)
    child.once('error', reject)
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({code, out})
    })
  })
}

const seconds = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e9
const load = () => loadavg().map((value) => value.toFixed(2)).join(' ')
const thousands = (n: number) => Math.round(n).toLocaleString('en-US')

/** `perSlot` keys in each of slots 0..SLOTS-1, written straight to `client` (their owner). */
async function fill(client: Redis, perSlot: number): Promise<number> {
  await client.flushall()
  const counts = new Array(SLOTS).fill(0)
  let written = 0
  let pipeline = client.pipeline()
  for (let i = 0; written < SLOTS * perSlot && i < perSlot * 16384 * 4; i++) {
    const key = `bench:${i}`
    const slot = keySlot(key)
    if (slot >= SLOTS || counts[slot] >= perSlot) continue
    counts[slot]++
    pipeline.set(key, VALUE)
    if (++written % 10_000 === 0) {
      await pipeline.exec()
      pipeline = client.pipeline()
    }
  }
  await pipeline.exec()
  return written
}

async function measure(cluster: TestCluster, home: string, perSlot: number): Promise<void> {
  const [a, b] = cluster.masters
  const clientA = cluster.admin.get(a)!
  const idA = String(await clientA.call('CLUSTER', 'MYID'))
  const idB = String(await cluster.admin.get(b)!.call('CLUSTER', 'MYID'))
  const written = await fill(clientA, perSlot)
  console.log(`\ndataset: slots 0-${SLOTS - 1} holding ${thousands(written)} keys (${perSlot} per slot, ${VALUE.length}-byte strings) on 3 masters`)
  const loadBefore = load()

  let started = process.hrtime.bigint()
  const cli = await run('redis-cli', ['--cluster', 'reshard', a, '--cluster-from', idA, '--cluster-to', idB, '--cluster-slots', String(SLOTS), '--cluster-yes'])
  const cliSeconds = seconds(started)
  if (cli.code !== 0) throw new Error(`redis-cli failed: ${cli.out.slice(-500)}`)
  const onB = Number(await cluster.admin.get(b)!.dbsize())
  if (onB < written) throw new Error(`redis-cli left keys behind: ${onB} of ${written} on the target`)
  const loadBetween = load()
  await waitClusterStable(cluster)

  started = process.hrtime.bigint()
  const ours = await twlab(['reshard', '--cluster', a, '--from', b, '--to', a, '--range', `0-${SLOTS - 1}`, '--yes', '--json'], {env: {TWLAB_HOME: home}, timeoutMs: 600_000})
  const oursSeconds = seconds(started)
  if (ours.code !== 0) throw new Error(`twlab reshard failed: ${ours.stderr.slice(-500)}`)
  const summary = JSON.parse(ours.stdout)
  if (summary.result.keysMoved !== written) throw new Error(`twlab moved ${summary.result.keysMoved} keys, expected ${written}`)
  const onA = Number(await clientA.dbsize())
  if (onA !== written) throw new Error(`after twlab the source of redis-cli's move holds ${onA} of ${written} keys`)
  await waitClusterStable(cluster)

  const moveSeconds = summary.result.seconds as number
  const preflightSeconds = summary.preflightSeconds as number
  const startupSeconds = oursSeconds - preflightSeconds - moveSeconds
  const rate = (s: number) => `${thousands(written / s)} keys/s`
  console.log(`  redis-cli --cluster reshard (10 keys per MIGRATE, one slot at a time):   ${cliSeconds.toFixed(2)} s, ${rate(cliSeconds)}`)
  console.log(`  twlab reshard (defaults: 500 keys per MIGRATE, 256 slots in flight, big-key check on): ${oursSeconds.toFixed(2)} s, ${rate(oursSeconds)}`)
  console.log(`    twlab phases: start-up, connect, slot map and exit ${startupSeconds.toFixed(2)} s; preflight (key counts, big-key sizing) ${preflightSeconds.toFixed(2)} s; moving ${moveSeconds.toFixed(2)} s (${rate(moveSeconds)})`)
  console.log(`  ratio: whole command ${(cliSeconds / oursSeconds).toFixed(2)}x redis-cli; moving alone ${(cliSeconds / moveSeconds).toFixed(2)}x (redis-cli's whole command against twlab's moving phase)`)
  console.log(`  load average (1, 5, 15 min): before ${loadBefore}; after redis-cli ${loadBetween}; after twlab ${load()} (2 shared cores: figures are noisy)`)
}

async function main(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'twlab-bench-home-'))
  const cluster = await startCluster({masters: 3, slotRanges: evenRanges(3)})
  try {
    for (const perSlot of SIZES) await measure(cluster, home, perSlot)
  } finally {
    await cluster.stop()
    await stopAll()
    rmSync(home, {recursive: true, force: true})
  }
}

await main()
