// Reshard speed: the same 1000 slots holding the same ~100k keys, moved on the same 3-master
// cluster by `redis-cli --cluster reshard` (A -> B) and by `twlab reshard` (back B -> A), timed
// as a user would see it (whole command, wall clock). Prints keys/s for both, the ratio, and where
// twlab's time went (start-up, preflight, moving).
import {spawn} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {loadavg, tmpdir} from 'node:os'
import {join} from 'node:path'
import {keySlot} from '../../src/hashing/index.js'
import {twlab} from '../support/cli.js'
import {stopAll} from '../support/servers.js'
import {evenRanges, startCluster, waitClusterStable} from '../reshard/cluster-fixture.js'

const SLOTS = Number(process.env.BENCH_SLOTS ?? 1000)
const KEYS_PER_SLOT = Number(process.env.BENCH_KEYS_PER_SLOT ?? 100)
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

async function main(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'twlab-bench-home-'))
  const cluster = await startCluster({masters: 3, slotRanges: evenRanges(3)})
  try {
    const [a, b] = cluster.masters
    const clientA = cluster.admin.get(a)!
    const idA = String(await clientA.call('CLUSTER', 'MYID'))
    const idB = String(await cluster.admin.get(b)!.call('CLUSTER', 'MYID'))

    // KEYS_PER_SLOT keys in each of slots 0..SLOTS-1 (all owned by A), written straight to A
    const perSlot = new Array(SLOTS).fill(0)
    let written = 0
    let pipeline = clientA.pipeline()
    for (let i = 0; written < SLOTS * KEYS_PER_SLOT && i < SLOTS * KEYS_PER_SLOT * 40; i++) {
      const key = `bench:${i}`
      const slot = keySlot(key)
      if (slot >= SLOTS || perSlot[slot] >= KEYS_PER_SLOT) continue
      perSlot[slot]++
      pipeline.set(key, VALUE)
      if (++written % 5000 === 0) {
        await pipeline.exec()
        pipeline = clientA.pipeline()
      }
    }
    await pipeline.exec()
    console.log(`cluster: 3 masters; moving slots 0-${SLOTS - 1} holding ${written} keys (${KEYS_PER_SLOT}/slot, ${VALUE.length}-byte values)`)

    let started = process.hrtime.bigint()
    const cli = await run('redis-cli', ['--cluster', 'reshard', a, '--cluster-from', idA, '--cluster-to', idB, '--cluster-slots', String(SLOTS), '--cluster-yes'])
    const cliSeconds = Number(process.hrtime.bigint() - started) / 1e9
    if (cli.code !== 0) throw new Error(`redis-cli failed: ${cli.out.slice(-500)}`)
    const onB = Number(await cluster.admin.get(b)!.dbsize())
    if (onB < written) throw new Error(`redis-cli left keys behind: ${onB} of ${written} on the target`)
    await waitClusterStable(cluster)

    started = process.hrtime.bigint()
    const ours = await twlab(['reshard', '--cluster', a, '--from', b, '--to', a, '--range', `0-${SLOTS - 1}`, '--yes', '--json'], {env: {TWLAB_HOME: home}, timeoutMs: 600_000})
    const oursSeconds = Number(process.hrtime.bigint() - started) / 1e9
    if (ours.code !== 0) throw new Error(`twlab reshard failed: ${ours.stderr.slice(-500)}`)
    const summary = JSON.parse(ours.stdout)
    if (summary.result.keysMoved !== written) throw new Error(`twlab moved ${summary.result.keysMoved} keys, expected ${written}`)

    const cliRate = written / cliSeconds
    const oursRate = written / oursSeconds
    const moveSeconds = summary.result.seconds as number
    console.log(`redis-cli --cluster reshard (10 keys per MIGRATE, one slot at a time): ${cliSeconds.toFixed(2)} s, ${Math.round(cliRate)} keys/s`)
    console.log(`twlab reshard (defaults: 500 keys per MIGRATE, 256 slots in flight, big-key check on): ${oursSeconds.toFixed(2)} s, ${Math.round(oursRate)} keys/s`)
    const preflightSeconds = summary.preflightSeconds as number
    const startupSeconds = oursSeconds - preflightSeconds - moveSeconds
    console.log(`  phases: start-up, connect and slot map ${startupSeconds.toFixed(2)} s; plan/preflight (key counts, big-key sizing) ${preflightSeconds.toFixed(2)} s; moving ${moveSeconds.toFixed(2)} s (${summary.result.keysPerSecond} keys/s)`)
    console.log(`ratio (whole command): ${(oursRate / cliRate).toFixed(2)}x redis-cli; moving alone: ${(cliSeconds / moveSeconds).toFixed(2)}x`)
    console.log(`load average: ${loadavg().map((load) => load.toFixed(2)).join(' ')} (2 shared cores: figures are noisy)`)
  } finally {
    await cluster.stop()
    await stopAll()
    rmSync(home, {recursive: true, force: true})
  }
}

await main()
