// twproxy against the real nutcracker, measured in the same run: three redis-servers, one pool over
// them served by nutcracker, twproxy (one process) and twproxy --workers 2, and redis-benchmark
// (-c 50, random keys over -r 100000 so traffic spreads, GET and SET, pipeline 1 and 16) against
// each, plus one redis-server directly as the floor. Prints ops/s, p50/p99, the proxy's CPU time
// per request and twproxy/nutcracker.
//
// The machine is shared, so its load drifts while the bench runs: every target is measured in
// each of BENCH_ROUNDS rounds (the order turned round each time, so none is always first), the
// ratio is taken within a round, and the medians are printed. CPU time per request (user + system,
// of the proxy's processes) is the figure least moved by other load.
//
// Then memory, on fresh processes: resident size before any client (base) and what each of
// IDLE_CLIENTS idle connections adds, for nutcracker and twproxy: clients that never sent anything,
// and clients that sent one PING, read the reply and went idle. BENCH_MEMORY_ONLY=1 measures
// only the memory.
//
// BENCH_STREAM_WRITES=1 adds a twproxy whose writes all take socket.write() (TWPROXY_STREAM_WRITES=1),
// to compare socket-write.ts's direct path with Node's stream path in the same run.
import {spawn} from 'node:child_process'
import {rmSync} from 'node:fs'
import {cpus} from 'node:os'
import {freePort, startNutcracker, startRedis, stopAll, stopPid, tempDir, waitForPort} from '../support/servers.js'
import {childPids, idleClientMemory, median, servedClientMemory, type IdleMemory, ketamaPool, measure, printSamples, startTwproxy, type BenchSettings, type BenchTarget} from './redis-benchmark.js'

const SETTINGS: BenchSettings = {
  clients: 50,
  keyspace: 100_000,
  requests: {1: Number(process.env.BENCH_REQUESTS_P1 ?? 100_000), 16: Number(process.env.BENCH_REQUESTS_P16 ?? 500_000)},
  rounds: Number(process.env.BENCH_ROUNDS ?? 7),
  warmupRequests: 20_000,
}
const TESTS = ['SET', 'GET']
const IDLE_CLIENTS = Number(process.env.BENCH_IDLE_CLIENTS ?? 5000)
const MEMORY_ONLY = process.env.BENCH_MEMORY_ONLY === '1'

type ClientMemoryProbe = typeof idleClientMemory

/** Idle-client memory of a fresh nutcracker and a fresh twproxy over the same servers. */
/**
 * The runtime's own floor: node with one listening socket that answers +PONG to whatever a client
 * sends and keeps every connection, nothing else loaded. What twproxy costs above it is its own.
 */
const BARE_NODE = `require('node:net').createServer((s) => s.on('data', () => s.write('+PONG\\r\\n'))).listen(Number(process.argv[1]), '127.0.0.1')`

async function idleMemory(dir: string, redis: Array<{port: number}>, probe: ClientMemoryProbe): Promise<Record<string, IdleMemory>> {
  const [nutcrackerPort, twproxyPort, nodePort] = [await freePort(), await freePort(), await freePort()]
  const nutcracker = await startNutcracker({config: ketamaPool(nutcrackerPort, redis), waitPort: nutcrackerPort})
  const twproxy = await startTwproxy(dir, twproxyPort, ketamaPool(twproxyPort, redis))
  const bareNode = spawn(process.execPath, ['-e', BARE_NODE, String(nodePort)], {stdio: 'ignore'})
  await waitForPort(nodePort)
  try {
    return {
      'nutcracker 0.5.0': await probe(nutcracker.pid, nutcrackerPort, IDLE_CLIENTS),
      twproxy: await probe(twproxy.pid!, twproxyPort, IDLE_CLIENTS),
      'node alone (a listening socket)': await probe(bareNode.pid!, nodePort, IDLE_CLIENTS),
    }
  } finally {
    await stopPid(twproxy)
    await stopPid(bareNode)
    await nutcracker.stop()
  }
}

async function main(): Promise<void> {
  const dir = tempDir('twproxy-bench-')
  const redis = [await startRedis(), await startRedis(), await startRedis()]
  const [nutcrackerPort, twproxyPort, workersPort, streamPort] = [await freePort(), await freePort(), await freePort(), await freePort()]
  const pool = (port: number) => ketamaPool(port, redis)
  const nutcracker = await startNutcracker({config: pool(nutcrackerPort), waitPort: nutcrackerPort})
  const single = await startTwproxy(dir, twproxyPort, pool(twproxyPort))
  const workers = await startTwproxy(dir, workersPort, pool(workersPort), {args: ['--workers', '2']})
  const streamWrites = process.env.BENCH_STREAM_WRITES === '1' ? await startTwproxy(dir, streamPort, pool(streamPort), {env: {TWPROXY_STREAM_WRITES: '1'}}) : undefined
  const targets: BenchTarget[] = [
    {name: 'redis (one server, direct)', port: redis[0].port, pids: () => [redis[0].pid], tests: TESTS},
    {name: 'nutcracker 0.5.0', port: nutcrackerPort, pids: () => [nutcracker.pid], tests: TESTS},
    {name: 'twproxy', port: twproxyPort, pids: () => [single.pid!], tests: TESTS},
    {name: 'twproxy --workers 2', port: workersPort, pids: () => [workers.pid!, ...childPids(workers.pid!)], tests: TESTS},
  ]
  if (streamWrites !== undefined) targets.push({name: 'twproxy (stream writes)', port: streamPort, pids: () => [streamWrites.pid!], tests: TESTS})
  let measured
  let memory
  let served
  try {
    measured = MEMORY_ONLY ? undefined : measure(targets, SETTINGS)
    memory = await idleMemory(dir, redis, idleClientMemory)
    served = await idleMemory(dir, redis, servedClientMemory)
  } finally {
    await stopPid(single)
    await stopPid(workers)
    if (streamWrites !== undefined) await stopPid(streamWrites)
    await nutcracker.stop()
    await stopAll()
    rmSync(dir, {recursive: true, force: true})
  }
  console.log(`\nmemory: resident size before any client, and per idle client (${IDLE_CLIENTS} connected): never sent anything / sent one PING and read the reply; ` +
    'each read once the process has been idle for a while (BENCH_SETTLE_MS)')
  console.log(`${'target'.padEnd(32)} ${'base MiB'.padStart(9)} ${'own MiB'.padStart(8)} ${'B/client never sent'.padStart(20)} ${'B/client after PING'.padStart(20)}`)
  for (const [target, m] of Object.entries(memory)) {
    console.log(`${target.padEnd(32)} ${m.baseMiB.toFixed(1).padStart(9)} ${m.basePrivateMiB.toFixed(1).padStart(8)} ${m.perClient.toFixed(0).padStart(20)} ${served[target].perClient.toFixed(0).padStart(20)}`)
  }
  console.log('(own MiB: the anonymous pages alone, without the program file every process running it shares)')
  const memoryLine = `idle client ${memory.twproxy.perClient.toFixed(0)} B vs ${memory['nutcracker 0.5.0'].perClient.toFixed(0)} B, ` +
    `after a PING ${served.twproxy.perClient.toFixed(0)} B vs ${served['nutcracker 0.5.0'].perClient.toFixed(0)} B, ` +
    `base ${memory.twproxy.baseMiB.toFixed(1)} MiB vs ${memory['nutcracker 0.5.0'].baseMiB.toFixed(1)} MiB ` +
    `(node alone ${memory['node alone (a listening socket)'].baseMiB.toFixed(1)} MiB)`
  if (measured === undefined) {
    console.log(`\ntwproxy vs nutcracker: ${memoryLine}`)
    return
  }
  console.log(`\nredis-benchmark -c ${SETTINGS.clients} -r ${SETTINGS.keyspace} -t get,set; -n ${SETTINGS.requests[1]} at -P 1, ${SETTINGS.requests[16]} at -P 16; ` +
    `${SETTINGS.rounds} rounds, medians; ${cpus().length} CPUs shared by everything`)
  for (const line of measured.loads) console.log(line)
  printSamples(measured.samples, 'nutcracker 0.5.0', (target) => target.startsWith('twproxy'), 'vs nutcracker')
  const ratios = [1, 16].map((p) => {
    const rows = measured.samples.get(p)!
    const base = rows.get('nutcracker 0.5.0')!
    const ours = rows.get('twproxy')!
    const per = [...ours.keys()].flatMap((test) => ours.get(test)!.map((run, round) => run.rps / base.get(test)![round].rps))
    return `P${p} ${median(per).toFixed(2)}x`
  })
  console.log(`\ntwproxy vs nutcracker (median of rounds, GET and SET): ${ratios.join(', ')}; ${memoryLine}`)
}

await main()
