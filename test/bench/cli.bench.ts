// `npm run bench -- cli`: how long twlab takes to start, beside `node -e 0` (the floor of any Node
// program) and `redis-cli ping` (a C client), measured in one run: rounds in rotated order, medians
// of wall time and of CPU time (user+sys, steadier when the machine is shared). Targets: --version
// within 1.5x of node -e 0, `keys where KEY -c FILE` within 2x. Figures only; nothing passes or fails.
import {spawnSync} from 'node:child_process'
import {existsSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {loadavg} from 'node:os'
import {join} from 'node:path'
import {startRedis, tempDir, type RunningServer} from '../support/servers.js'
import {TWLAB} from '../support/cli.js'

const ROUNDS = 15
const TIME = '/usr/bin/time'

interface Contender {
  name: string
  argv: string[]
}

interface Sample {
  wall: number
  cpu: number
}

const dir = tempDir('twlab-cli-bench-')
const config = join(dir, 'nutcracker.yml')
writeFileSync(config, 'alpha:\n  listen: 127.0.0.1:22121\n  hash: fnv1a_64\n  distribution: ketama\n  servers:\n   - 127.0.0.1:6379:1\n   - 127.0.0.1:6380:1\n')
const cpuFile = join(dir, 'cpu')

/** One run: wall time from the parent, user+sys from GNU time when it is there. */
function measure(argv: string[]): Sample {
  const withTime = existsSync(TIME) ? [TIME, '-o', cpuFile, '-f', '%U %S', ...argv] : argv
  const started = process.hrtime.bigint()
  const run = spawnSync(withTime[0]!, withTime.slice(1), {stdio: ['ignore', 'ignore', 'pipe']})
  const wall = Number(process.hrtime.bigint() - started) / 1e9
  if (run.status !== 0) throw new Error(`${argv.join(' ')} failed: ${run.stderr}`)
  const cpu = existsSync(TIME) ? readFileSync(cpuFile, 'utf8').trim().split(/\s+/).map(Number).reduce((a, b) => a + b, 0) : Number.NaN
  return {wall, cpu}
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

let redis: RunningServer | undefined
try {
  const contenders: Contender[] = [
    {name: 'node -e 0', argv: [process.execPath, '-e', '0']},
    {name: 'twlab --version', argv: [process.execPath, TWLAB, '--version']},
    {name: 'twlab keys where KEY -c FILE', argv: [process.execPath, TWLAB, 'keys', 'where', 'user:1000', '-c', config]},
  ]
  const redisCli = spawnSync('redis-cli', ['--version']).status === 0
  if (redisCli) {
    redis = await startRedis()
    contenders.push({name: 'redis-cli ping', argv: ['redis-cli', '-p', String(redis.port), 'ping']})
  }
  for (const c of contenders) measure(c.argv) // warm the file cache
  const samples = new Map(contenders.map((c) => [c.name, [] as Sample[]]))
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < contenders.length; i++) {
      const c = contenders[(round + i) % contenders.length]!
      samples.get(c.name)!.push(measure(c.argv))
    }
  }

  console.log(`start-up, median of ${ROUNDS} rotated rounds; load average at start ${loadavg().map((n) => n.toFixed(1)).join(' ')}`)
  const floor = samples.get('node -e 0')!
  const floorWall = median(floor.map((s) => s.wall))
  const floorCpu = median(floor.map((s) => s.cpu))
  const target: Record<string, string> = {'twlab --version': '1.5x', 'twlab keys where KEY -c FILE': '2x'}
  console.log(`${'command'.padEnd(32)}${'wall s'.padStart(8)}${'cpu s'.padStart(8)}${'wall/node'.padStart(11)}${'cpu/node'.padStart(10)}  target`)
  for (const c of contenders) {
    const wall = median(samples.get(c.name)!.map((s) => s.wall))
    const cpu = median(samples.get(c.name)!.map((s) => s.cpu))
    console.log(`${c.name.padEnd(32)}${wall.toFixed(3).padStart(8)}${cpu.toFixed(3).padStart(8)}${`${(wall / floorWall).toFixed(2)}x`.padStart(11)}${`${(cpu / floorCpu).toFixed(2)}x`.padStart(10)}  ${target[c.name] ?? ''}`)
  }
  if (!redisCli) console.log('redis-cli ping: redis-cli not installed')
  console.log('twlab up --cluster --masters 3 --replicas 1 vs redis-cli --cluster create: see `npm run bench -- lab`')
} finally {
  await redis?.stop()
  rmSync(dir, {recursive: true, force: true})
}
