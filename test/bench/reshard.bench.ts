// Reshard speed, in two parts printed by one run.
//
// Valkey 9.1 (reshard-atomic.ts): valkey-cli --cluster reshard, the bare CLUSTER MIGRATESLOTS,
// twlab --method atomic and twlab --method migrate, moving slots 0-4095 of a 200,000-key cluster
// (valkey-cli once, the others in 3 rotated rounds, medians); then the bare command and twlab
// atomic at 1,000,000 keys (3 rotated rounds), compared on the time to the last slot owned.
// BENCH_VALKEY_SLOTS=N changes the slots moved; BENCH_SKIP_VALKEY=1 or BENCH_SKIP_REDIS=1 skip a part.
//
// Redis 7.0 (the system's redis-server): the same 1000 slots holding the same keys, moved on the same 3-master cluster by
// `redis-cli --cluster reshard` (A -> B) and by `twlab reshard` (back B -> A, then A -> B again),
// timed as a user sees it (whole command, wall clock), in one run.
//
// The dataset: slots 0-999 (1000 of 16384, what `--slots 1000` takes from one master), 64-byte
// string values, in two sizes: 100 keys per slot (100k keys; a cluster of about 1.6M keys) and
// 500 keys per slot (500k keys; a cluster of about 8M keys, a realistic production size). Moving
// costs per key, and the larger set is where a reshard takes long enough to matter; there twlab's
// fixed costs (node start-up, connecting, reading the slot map) weigh less. Strings keep the cost
// per key the same for both tools, so the ratio measures the protocol, not the data.
// BENCH_KEYS_PER_SLOT=N (one size) and BENCH_SLOTS=N change the dataset.
//
// twlab runs twice: with its defaults (which size every key first, to report big keys before
// anything moves), and with that check off (--big-key-limit 0): the same work as redis-cli, which
// sizes nothing. A last run times the bare protocol (SETSLOTs and MIGRATEs of keys listed in
// advance, all pipelined, no tool around them): the floor for any tool that moves slots with MIGRATE.
// Each run moves the slots back the other way, so every run moves the same keys.
//
// Prints for each size: every run's time and keys/s, twlab's phases (start-up, preflight,
// moving), the ratios for the whole command and for moving alone, and the load average.
import {spawn} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {loadavg, tmpdir} from 'node:os'
import {join} from 'node:path'
import type {Redis} from 'ioredis'
import {keySlot} from '../../src/hashing/index.js'
import {twlab} from '../support/cli.js'
import {stopAll} from '../support/servers.js'
import {evenRanges, startCluster, waitClusterStable, type TestCluster} from '../cluster/cluster-fixture.js'
import {stopStartedNodes} from '../cluster/server-process.js'
import {fetchedServer} from '../support/fetched-servers.js'
import {bareMigrateSlots, fillEven, startValkeyCluster, twlabMethod, valkeyCli, type Timed} from './reshard-atomic.js'

const SLOTS = Number(process.env.BENCH_SLOTS ?? 1000)
const SIZES = process.env.BENCH_KEYS_PER_SLOT ? [Number(process.env.BENCH_KEYS_PER_SLOT)] : [500]
const VALKEY_SLOTS = Number(process.env.BENCH_VALKEY_SLOTS ?? 4096)
const ROUNDS = 3
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

/** `perSlot` keys in each of slots 0..SLOTS-1, written straight to `client` (their owner); the keys of each slot. */
async function fill(client: Redis, perSlot: number): Promise<string[][]> {
  await client.flushall()
  const bySlot: string[][] = Array.from({length: SLOTS}, () => [])
  let written = 0
  let pipeline = client.pipeline()
  for (let i = 0; written < SLOTS * perSlot && i < perSlot * 16384 * 4; i++) {
    const key = `bench:${i}`
    const slot = keySlot(key)
    if (slot >= SLOTS || bySlot[slot].length >= perSlot) continue
    bySlot[slot].push(key)
    pipeline.set(key, VALUE)
    if (++written % 10_000 === 0) {
      await pipeline.exec()
      pipeline = client.pipeline()
    }
  }
  await pipeline.exec()
  return bySlot
}

interface Run {
  label: string
  seconds: number
  summary?: {result: {keysMoved: number; seconds: number}; preflightSeconds: number}
}

async function redisCli(cluster: TestCluster, from: string, to: string, written: number): Promise<Run> {
  const ids = await Promise.all([from, to].map(async (node) => String(await cluster.admin.get(node)!.call('CLUSTER', 'MYID'))))
  const started = process.hrtime.bigint()
  const cli = await run('redis-cli', ['--cluster', 'reshard', from, '--cluster-from', ids[0], '--cluster-to', ids[1], '--cluster-slots', String(SLOTS), '--cluster-yes'])
  const elapsed = seconds(started)
  if (cli.code !== 0) throw new Error(`redis-cli failed: ${cli.out.slice(-500)}`)
  await expectAll(cluster, to, written, 'redis-cli')
  return {label: 'redis-cli --cluster reshard (10 keys per MIGRATE, one slot at a time)', seconds: elapsed}
}

async function twlabReshard(cluster: TestCluster, home: string, from: string, to: string, written: number, label: string, extra: string[] = []): Promise<Run> {
  const started = process.hrtime.bigint()
  const ours = await twlab(['reshard', '--cluster', from, '--from', from, '--to', to, '--range', `0-${SLOTS - 1}`, '--yes', '--json', ...extra], {env: {TWLAB_HOME: home}, timeoutMs: 600_000})
  const elapsed = seconds(started)
  if (ours.code !== 0) throw new Error(`twlab reshard failed: ${ours.stderr.slice(-500)}`)
  const summary = JSON.parse(ours.stdout)
  if (summary.result.keysMoved !== written) throw new Error(`twlab moved ${summary.result.keysMoved} keys, expected ${written}`)
  await expectAll(cluster, to, written, 'twlab')
  return {label, seconds: elapsed, summary}
}

async function expectAll(cluster: TestCluster, node: string, written: number, tool: string): Promise<void> {
  const held = Number(await cluster.admin.get(node)!.dbsize())
  if (held !== written) throw new Error(`after ${tool} the target holds ${held} of ${written} keys`)
  await waitClusterStable(cluster)
}

/**
 * The safe protocol with nothing else, as no tool can do less: every slot opened in one pipeline
 * per node, one MIGRATE per slot of its keys, listed in advance (no GETKEYSINSLOT), 64 in flight,
 * every slot closed in one pipeline per node. MIGRATE copies and deletes one key at a time on a
 * blocked source, so this is the floor for any tool that follows the protocol, redis-cli and
 * twlab alike (no start-up, no plan, no journal, no slot map).
 */
async function migrateFloor(cluster: TestCluster, from: string, to: string, bySlot: string[][], written: number): Promise<Run> {
  const src = cluster.admin.get(from)!
  const dst = cluster.admin.get(to)!
  const [fromId, toId] = await Promise.all([src, dst].map(async (client) => String(await client.call('CLUSTER', 'MYID'))))
  const [host, port] = to.split(':')
  const slots = bySlot.keys()
  const each = async (client: Redis, command: (slot: number) => Array<string | number>) => {
    const pipeline = client.pipeline()
    for (let slot = 0; slot < SLOTS; slot++) pipeline.call(...(command(slot) as [string, ...Array<string | number>]))
    for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error
  }
  const started = process.hrtime.bigint()
  await each(dst, (slot) => ['CLUSTER', 'SETSLOT', slot, 'IMPORTING', fromId])
  await each(src, (slot) => ['CLUSTER', 'SETSLOT', slot, 'MIGRATING', toId])
  await Promise.all(Array.from({length: 64}, async () => {
    for (let next = slots.next(); !next.done; next = slots.next()) {
      if (bySlot[next.value].length > 0) await src.call('MIGRATE', host, port, '', 0, 60_000, 'KEYS', ...bySlot[next.value])
    }
  }))
  await each(dst, (slot) => ['CLUSTER', 'SETSLOT', slot, 'NODE', toId])
  await each(src, (slot) => ['CLUSTER', 'SETSLOT', slot, 'NODE', toId])
  const third = cluster.masters.find((node) => node !== from && node !== to)!
  await each(cluster.admin.get(third)!, (slot) => ['CLUSTER', 'SETSLOT', slot, 'NODE', toId])
  const elapsed = seconds(started)
  await expectAll(cluster, to, written, 'the bare protocol')
  return {label: 'the bare protocol (no tool: slots opened and closed in one pipeline per node, one MIGRATE per slot of its pre-listed keys, 64 in flight)', seconds: elapsed}
}

/** Fills `a`, then moves the slots a -> b (redis-cli), b -> a (twlab), a -> b (twlab, no sizing), b -> a (the bare protocol). */
async function measure(cluster: TestCluster, home: string, perSlot: number): Promise<void> {
  const [a, b] = cluster.masters
  const bySlot = await fill(cluster.admin.get(a)!, perSlot)
  const written = bySlot.reduce((sum, keys) => sum + keys.length, 0)
  console.log(`\ndataset: slots 0-${SLOTS - 1} holding ${thousands(written)} keys (${perSlot} per slot, ${VALUE.length}-byte strings) on 3 masters`)
  const loadBefore = load()
  const cli = await redisCli(cluster, a, b, written)
  const defaults = await twlabReshard(cluster, home, b, a, written, 'twlab reshard (defaults: 500 keys per MIGRATE, 256 slots in flight, every key sized for big keys first)')
  const same = await twlabReshard(cluster, home, a, b, written, 'twlab reshard --big-key-limit 0 (no sizing: the same work as redis-cli)', ['--big-key-limit', '0'])
  const floor = await migrateFloor(cluster, b, a, bySlot, written)

  const rate = (s: number) => `${thousands(written / s)} keys/s`
  for (const entry of [cli, defaults, same, floor]) {
    console.log(`  ${entry.label}: ${entry.seconds.toFixed(2)} s, ${rate(entry.seconds)}`)
    if (!entry.summary) continue
    const moving = entry.summary.result.seconds
    const preflight = entry.summary.preflightSeconds
    console.log(`    phases: start-up, connect, slot map and exit ${(entry.seconds - preflight - moving).toFixed(2)} s; preflight ${preflight.toFixed(2)} s; moving ${moving.toFixed(2)} s (${rate(moving)})`)
  }
  const ratio = (entry: Run) => `${(cli.seconds / entry.seconds).toFixed(2)}x`
  console.log(`  ratio, whole command: ${ratio(defaults)} redis-cli with the defaults; ${ratio(same)} doing the same work as redis-cli`)
  console.log(`  ratio, moving alone: ${(cli.seconds / defaults.summary!.result.seconds).toFixed(2)}x and ${(cli.seconds / same.summary!.result.seconds).toFixed(2)}x (redis-cli's whole command against twlab's moving phase)`)
  console.log(`  big-key sizing: the defaults take ${(defaults.seconds / same.seconds).toFixed(2)}x the time of --big-key-limit 0 for the whole command (preflight ${defaults.summary!.preflightSeconds.toFixed(2)} s against ${same.summary!.preflightSeconds.toFixed(2)} s)`)
  console.log(`  ratio, the bare protocol: ${ratio(floor)} redis-cli (the most any tool that moves slots with MIGRATE can reach in this run); twlab's moving phase takes ${(same.summary!.result.seconds / floor.seconds).toFixed(2)}x as long`)
  console.log(`  load average (1, 5, 15 min): before ${loadBefore}; after ${load()} (2 shared cores: figures are noisy)`)
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

/**
 * Runs each of `runs` ROUNDS times in rotated order, every run moving slots 0..VALKEY_SLOTS-1 from
 * whoever holds them to the other of the first two masters; the median run of each.
 */
async function rotatedRounds(cluster: TestCluster, runs: Array<(from: string, to: string) => Promise<Timed>>): Promise<Timed[]> {
  const [a, b] = cluster.masters
  let holder = a
  const results: Timed[][] = runs.map(() => [])
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < runs.length; k++) {
      const index = (round + k) % runs.length
      const other = holder === a ? b : a
      results[index].push(await runs[index](holder, other))
      holder = other
    }
  }
  // leave the slots where they started for the next size
  if (holder !== a) await bareMigrateSlots(cluster, holder, a, VALKEY_SLOTS)
  return results.map((list) => {
    const middle = [...list].sort((x, y) => x.seconds - y.seconds)[Math.floor(list.length / 2)]
    return {label: list[0].label, seconds: median(list.map((r) => r.seconds)), owned: list[0].owned === undefined ? undefined : median(list.map((r) => r.owned!)), phases: middle.phases}
  })
}

async function movedKeys(cluster: TestCluster): Promise<number> {
  const client = cluster.admin.get(cluster.masters[0])!
  const pipeline = client.pipeline()
  for (let slot = 0; slot < VALKEY_SLOTS; slot++) pipeline.call('CLUSTER', 'COUNTKEYSINSLOT', slot)
  return ((await pipeline.exec()) ?? []).reduce((sum, [, count]) => sum + Number(count), 0)
}

async function measureValkey(home: string): Promise<void> {
  const server = await fetchedServer('valkey-9.1')
  const cluster = await startValkeyCluster(server)
  try {
    await fillEven(cluster, 200_000)
    const keys = await movedKeys(cluster)
    console.log(`\nValkey ${server.version}: 200,000 keys (${VALUE.length}-byte strings) on 3 masters; slots 0-${VALKEY_SLOTS - 1} holding ${thousands(keys)} keys move between two of them`)
    const loadBefore = load()
    const [a, b] = cluster.masters
    const cli = await valkeyCli(cluster, server, a, b, VALKEY_SLOTS)
    await bareMigrateSlots(cluster, b, a, VALKEY_SLOTS)
    const [bare, atomic, migrate] = await rotatedRounds(cluster, [
      (from, to) => bareMigrateSlots(cluster, from, to, VALKEY_SLOTS),
      (from, to) => twlabMethod(cluster, home, from, to, VALKEY_SLOTS, 'atomic'),
      (from, to) => twlabMethod(cluster, home, from, to, VALKEY_SLOTS, 'migrate'),
    ])
    console.log(`  | run | whole command | to the last slot owned | valkey-cli / this, whole command | phases of the median run |`)
    console.log(`  |---|---|---|---|---|`)
    for (const entry of [cli, bare, atomic, migrate]) {
      console.log(`  | ${entry.label}${entry === cli ? ' (1 run)' : ` (median of ${ROUNDS})`} | ${entry.seconds.toFixed(2)} s | ${entry.owned === undefined ? '-' : `${entry.owned.toFixed(2)} s`} | ${(cli.seconds / entry.seconds).toFixed(1)}x | ${entry.phases ?? '-'} |`)
    }
    console.log(`  load average (1, 5, 15 min): before ${loadBefore}; after ${load()}`)

    await fillEven(cluster, 1_000_000)
    const bigKeys = await movedKeys(cluster)
    console.log(`\nValkey ${server.version}: 1,000,000 keys on 3 masters; slots 0-${VALKEY_SLOTS - 1} holding ${thousands(bigKeys)} keys`)
    const [bigBare, bigAtomic] = await rotatedRounds(cluster, [
      (from, to) => bareMigrateSlots(cluster, from, to, VALKEY_SLOTS),
      (from, to) => twlabMethod(cluster, home, from, to, VALKEY_SLOTS, 'atomic'),
    ])
    console.log(`  | run (median of ${ROUNDS}) | whole command | to the last slot owned | phases of the median run |`)
    console.log(`  |---|---|---|---|`)
    for (const entry of [bigBare, bigAtomic]) console.log(`  | ${entry.label} | ${entry.seconds.toFixed(2)} s | ${entry.owned!.toFixed(2)} s | ${entry.phases ?? '-'} |`)
    console.log(`  twlab atomic / bare, to the last slot owned: ${(bigAtomic.owned! / bigBare.owned!).toFixed(2)}x; load average after ${load()}`)
  } finally {
    await cluster.stop()
    await stopStartedNodes()
  }
}

async function main(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'twlab-bench-home-'))
  try {
    if (!process.env.BENCH_SKIP_VALKEY) await measureValkey(home)
    if (process.env.BENCH_SKIP_REDIS) return
    console.log(`\nRedis ${'7.0'} (the system's redis-server)`)
    const cluster = await startCluster({masters: 3, slotRanges: evenRanges(3)})
    try {
      for (const perSlot of SIZES) await measure(cluster, home, perSlot)
    } finally {
      await cluster.stop()
    }
  } finally {
    await stopAll()
    rmSync(home, {recursive: true, force: true})
  }
}

await main()
