// Pool growth: `twlab pool add-server` on a 3-server ketama pool behind twproxy (the whole command:
// plan scan, config switch and reload, moving, cleanup), against what a user has today for the
// same keys: list every old server's keys with `redis-cli --scan`, and copy each key that changes
// owner with one MIGRATE per key, as `redis-cli --cluster import` does (without any proxy switch,
// so the reference is cheaper than a real manual change, which also restarts the proxy).
// Both start from the same dataset: BENCH_POOL_KEYS (default 300,000) 64-byte strings written to
// their ketama owners. Prints keys moved, time and keys/s for both, the ratio and the load.
import {spawn, type ChildProcess} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {loadavg, tmpdir} from 'node:os'
import {join} from 'node:path'
import {Redis} from 'ioredis'
import {loadConfig} from '../../src/config/index.js'
import {MovePlacement, planAddServer, serverFromSpec} from '../../src/pool/plan.js'
import {TWPROXY, twlab} from '../support/cli.js'
import {freePort, startRedis, stopAll, stopPid, waitForPort} from '../support/servers.js'

const KEYS = Number(process.env.BENCH_POOL_KEYS ?? 300_000)
const VALUE = 'v'.repeat(64)

function run(command: string, args: string[], input?: string): Promise<{code: number | null; out: string; err: string}> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {stdio: ['pipe', 'pipe', 'pipe']})
    let out = ''
    let err = ''
    child.stdout.setEncoding('utf8').on('data', (chunk) => (out += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk) => (err += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), 600_000)
    child.once('error', reject)
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({code, out, err})
    })
    child.stdin.end(input ?? '')
  })
}

const seconds = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e9
const load = () => loadavg().map((value) => value.toFixed(2)).join(' ')

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'twlab-bench-pool-'))
  const servers = [await startRedis(), await startRedis(), await startRedis(), await startRedis()]
  const clients = servers.map((server) => new Redis({host: '127.0.0.1', port: server.port, maxRetriesPerRequest: 1}))
  const address = (i: number) => `127.0.0.1:${servers[i].port}`
  const configFile = join(dir, 'nutcracker.yml')
  const proxyPort = await freePort()
  const yaml = `bench:\n  listen: 127.0.0.1:${proxyPort}\n  hash: fnv1a_64\n  distribution: ketama\n  redis: true\n  timeout: 5000\n  servers:\n${[0, 1, 2].map((i) => `   - ${address(i)}:1 s${i + 1}`).join('\n')}\n`
  let proxy: ChildProcess | undefined
  try {
    writeFileSync(configFile, yaml)
    const pool = (await loadConfig(configFile)).pools[0]
    const change = planAddServer(pool, serverFromSpec(address(3), 's4'))
    const placement = new MovePlacement(pool, change.before, change.after)
    const index = new Map(servers.map((server, i) => [`127.0.0.1:${server.port}`, i]))

    // the dataset, written straight to each key's owner under the 3-server list
    const fill = async () => {
      await Promise.all(clients.map((client) => client.flushall()))
      let pipelines = clients.map((client) => client.pipeline())
      for (let i = 0; i < KEYS; i++) {
        const key = `pool:${i}`
        pipelines[index.get(placement.oldOwner(key).address)!].set(key, VALUE)
        if ((i + 1) % 20_000 === 0) {
          await Promise.all(pipelines.map((pipeline) => pipeline.exec()))
          pipelines = clients.map((client) => client.pipeline())
        }
      }
      await Promise.all(pipelines.map((pipeline) => pipeline.exec()))
    }
    await fill()
    let moving = 0
    for (let i = 0; i < KEYS; i++) if (placement.newOwner(`pool:${i}`).address !== placement.oldOwner(`pool:${i}`).address) moving++
    console.log(`pool: 3 redis-servers, ketama (fnv1a_64), ${KEYS} keys (${VALUE.length}-byte strings); adding a 4th server moves ${moving} of them`)
    console.log(`load average before: ${load()} (2 shared cores: figures are noisy)`)

    // reference: redis-cli --scan each old server, then one MIGRATE per moving key
    let started = process.hrtime.bigint()
    let copied = 0
    const [newHost, newPort] = address(3).split(':')
    for (const i of [0, 1, 2]) {
      const listed = await run('redis-cli', ['-p', String(servers[i].port), '--scan'])
      if (listed.code !== 0) throw new Error(`redis-cli --scan failed: ${listed.err}`)
      const keys = listed.out.split('\n').filter((key) => key !== '' && placement.newOwner(key).address !== address(i))
      const copy = await run('redis-cli', ['-p', String(servers[i].port)], keys.map((key) => `MIGRATE ${newHost} ${newPort} ${key} 0 10000\n`).join(''))
      if (copy.code !== 0) throw new Error(`redis-cli MIGRATE failed: ${copy.err}`)
      copied += keys.length
    }
    const referenceSeconds = seconds(started)
    const onNew = Number(await clients[3].dbsize())
    if (copied !== moving || onNew !== moving) throw new Error(`the reference copied ${copied} keys (${onNew} on the new server), expected ${moving}`)
    const referenceLoad = load()

    // twlab, from the same dataset, with twproxy in front
    await fill()
    proxy = spawn(process.execPath, [TWPROXY, '-c', configFile, '-s', String(await freePort()), '-a', '127.0.0.1', '-o', join(dir, 'proxy.log')], {stdio: 'ignore'})
    await waitForPort(proxyPort)
    started = process.hrtime.bigint()
    const ours = await twlab(['pool', 'add-server', address(3), 's4', '-c', configFile, '--proxy-pid', String(proxy.pid), '--yes', '--json'], {timeoutMs: 600_000})
    const oursSeconds = seconds(started)
    if (ours.code !== 0) throw new Error(`twlab pool add-server failed: ${ours.stderr.slice(-500)}`)
    const summary = JSON.parse(ours.stdout)
    if (summary.moved !== moving) throw new Error(`twlab moved ${summary.moved} keys, expected ${moving}`)
    const sizes = await Promise.all(clients.map((client) => client.dbsize()))
    if (sizes.reduce((sum, n) => sum + Number(n), 0) !== KEYS || Number(sizes[3]) !== moving) throw new Error(`after twlab the servers hold ${sizes.join(', ')} keys`)

    const rate = (n: number, s: number) => Math.round(n / s)
    console.log(`redis-cli --scan + one MIGRATE per moving key (copy only, no proxy switch): ${copied} keys in ${referenceSeconds.toFixed(2)} s, ${rate(copied, referenceSeconds)} keys/s (load after: ${referenceLoad})`)
    console.log(`twlab pool add-server (whole command: scan, switch twproxy, move in batches of 500, clean up): ${summary.moved} keys in ${oursSeconds.toFixed(2)} s, ${rate(summary.moved, oursSeconds)} keys/s (load after: ${load()})`)
    const phases = summary.seconds as {plan: number; switch: number; move: number; cleanup: number}
    const startup = oursSeconds - phases.plan - phases.switch - phases.move - phases.cleanup
    console.log(`  twlab phases: start-up and exit ${startup.toFixed(2)} s; plan (scan, count) ${phases.plan.toFixed(2)} s; config + twproxy reload ${phases.switch.toFixed(2)} s; moving ${phases.move.toFixed(2)} s (${rate(summary.moved, phases.move)} keys/s); clean-up scan ${phases.cleanup.toFixed(2)} s`)
    console.log(`ratio: whole command ${(referenceSeconds / oursSeconds).toFixed(2)}x the per-key copy; moving alone ${(referenceSeconds / phases.move).toFixed(2)}x`)
  } finally {
    for (const client of clients) client.disconnect()
    if (proxy) await stopPid(proxy)
    await stopAll()
    rmSync(dir, {recursive: true, force: true})
  }
}

await main()
