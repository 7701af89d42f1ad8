// The Valkey 9.1 half of the reshard benchmark: the same slots holding the same keys moved on one
// 3-master Valkey 9.1 cluster (fetched from Debian's archive) by `valkey-cli --cluster reshard`
// (which uses MIGRATE: 9.1.2 has no option for atomic migration), by the bare `CLUSTER
// MIGRATESLOTS` (sent and polled with nothing around it: the floor for any tool that uses the
// server's migration), and by `twlab reshard --method atomic` and `--method migrate`. Each run moves
// the slots back the other way, so every run moves the same keys. At the large size only the bare
// command and twlab atomic run, in rotated rounds, to compare the time to the last slot owned.
import {spawn} from 'node:child_process'
import type {Redis} from 'ioredis'
import {keySlot} from '../../src/hashing/index.js'
import {installedProgram, type InstalledServer} from '../../src/servers/store.js'
import {twlab} from '../support/cli.js'
import {evenRanges, startCluster, waitClusterStable, type TestCluster} from '../cluster/cluster-fixture.js'

export interface Timed {
  label: string
  /** whole command, wall clock */
  seconds: number
  /** to the last slot owned by the target (twlab: its run phase; bare: to "success") */
  owned?: number
  /** twlab: preflight and end-state wait (the rest of the whole command is start-up, plan and exit) */
  phases?: string
}

const VALUE = 'v'.repeat(64)
const seconds = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e9

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

/** `total` keys over the whole cluster, each written straight to its owner (evenRanges(3)). */
export async function fillEven(cluster: TestCluster, total: number): Promise<void> {
  const ranges = evenRanges(3)
  const owners = cluster.masters.map((address) => cluster.admin.get(address)!)
  await Promise.all(owners.map((client) => client.flushall()))
  const ownerOf = (slot: number) => owners[ranges.findIndex((list) => list.some(([start, end]) => slot >= start && slot <= end))]
  let pipelines = new Map<Redis, ReturnType<Redis['pipeline']>>()
  for (let i = 0; i < total; i++) {
    const key = `bench:${i}`
    const client = ownerOf(keySlot(key))
    let pipeline = pipelines.get(client)
    if (!pipeline) pipelines.set(client, (pipeline = client.pipeline()))
    pipeline.set(key, VALUE)
    if ((i + 1) % 20_000 === 0) {
      await Promise.all([...pipelines.values()].map((p) => p.exec()))
      pipelines = new Map()
    }
  }
  await Promise.all([...pipelines.values()].map((p) => p.exec()))
}

const idOf = async (cluster: TestCluster, address: string) => String(await cluster.admin.get(address)!.call('CLUSTER', 'MYID'))

/** CLUSTER MIGRATESLOTS of slots 0..slots-1 from -> to, polled every millisecond until success. */
export async function bareMigrateSlots(cluster: TestCluster, from: string, to: string, slots: number): Promise<Timed> {
  const source = cluster.admin.get(from)!
  const targetId = await idOf(cluster, to)
  const started = process.hrtime.bigint()
  await source.call('CLUSTER', 'MIGRATESLOTS', 'SLOTSRANGE', 0, slots - 1, 'NODE', targetId)
  for (let look = 0; look < 1_000_000; look++) {
    const jobs = (await source.call('CLUSTER', 'GETSLOTMIGRATIONS')) as string[][]
    const state = jobs[0]?.[jobs[0].indexOf('state') + 1]
    if (state === 'success') break
    if (state === 'failed' || state === 'cancelled') throw new Error(`bare MIGRATESLOTS ended ${state}: ${jobs[0][jobs[0].indexOf('message') + 1]}`)
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
  const elapsed = seconds(started)
  await waitClusterStable(cluster)
  return {label: 'bare CLUSTER MIGRATESLOTS (sent and polled, no tool)', seconds: elapsed, owned: elapsed}
}

export async function twlabMethod(cluster: TestCluster, home: string, from: string, to: string, slots: number, method: 'atomic' | 'migrate'): Promise<Timed> {
  const started = process.hrtime.bigint()
  const result = await twlab(['reshard', '--cluster', from, '--from', from, '--to', to, '--range', `0-${slots - 1}`, '--method', method, '--yes', '--json'], {env: {TWLAB_HOME: home}, timeoutMs: 600_000})
  const elapsed = seconds(started)
  if (result.code !== 0) throw new Error(`twlab reshard --method ${method} failed: ${result.stderr.slice(-500)}`)
  const summary = JSON.parse(result.stdout)
  if (summary.result.method !== method) throw new Error(`twlab used ${summary.result.method}, not ${method}`)
  await waitClusterStable(cluster)
  const end = summary.result.endState?.seconds
  return {label: `twlab reshard --method ${method}`, seconds: elapsed, owned: summary.result.seconds,
    phases: `preflight ${summary.preflightSeconds.toFixed(2)} s${end === undefined ? '' : `, end state ${end.toFixed(2)} s`}`}
}

export async function valkeyCli(cluster: TestCluster, server: InstalledServer, from: string, to: string, slots: number): Promise<Timed> {
  const [fromId, toId] = await Promise.all([idOf(cluster, from), idOf(cluster, to)])
  const cli = installedProgram(server, 'cli')
  const started = process.hrtime.bigint()
  const result = await run(cli.bin, [...cli.prefixArgs, '--cluster', 'reshard', from, '--cluster-from', fromId, '--cluster-to', toId, '--cluster-slots', String(slots), '--cluster-yes'])
  const elapsed = seconds(started)
  if (result.code !== 0) throw new Error(`valkey-cli failed: ${result.out.slice(-500)}`)
  await waitClusterStable(cluster)
  return {label: 'valkey-cli --cluster reshard', seconds: elapsed}
}

export async function startValkeyCluster(server: InstalledServer): Promise<TestCluster> {
  return startCluster({masters: 3, slotRanges: evenRanges(3), server})
}
