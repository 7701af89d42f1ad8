// `twlab doctor`: which programs a lab needs are here, in which versions, whether the default
// ports are free and $TWLAB_HOME is writable, and what to install when something is missing.
import {accessSync, constants, existsSync, mkdirSync} from 'node:fs'
import {findExecutable, programVersion, TWPROXY_SCRIPT, twproxyAvailable} from './binaries.js'
import {twlabHome} from './home.js'
import {DEFAULT_BASE_PORT} from './plan.js'
import {busyPorts} from './ports.js'

export interface DoctorCheck {
  name: string
  ok: boolean
  /** required for every lab, or only for some */
  required: boolean
  detail: string
  fix?: string
}

const REDIS_FIX = 'sudo apt-get install redis-server redis-sentinel (Debian/Ubuntu), brew install redis (macOS), or pass --redis-bin DIR'

async function programCheck(name: string, required: boolean, fix: string, redisBin?: string, usedFor = ''): Promise<DoctorCheck> {
  const path = findExecutable(name, redisBin && name.startsWith('redis') ? [redisBin] : undefined)
  if (!path) return {name, ok: false, required, detail: `not found${usedFor}`, fix}
  const version = await programVersion(path)
  return {name, ok: true, required, detail: `${path}${version ? `: ${version}` : ''}`}
}

export async function runDoctor(options: {redisBin?: string} = {}): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = await Promise.all([
    programCheck('redis-server', true, REDIS_FIX, options.redisBin),
    programCheck('redis-sentinel', false, REDIS_FIX, options.redisBin, ' (sentinel labs fall back to redis-server --sentinel)'),
    programCheck('redis-cli', false, 'sudo apt-get install redis-tools', options.redisBin, ' (only needed to connect by hand)'),
    programCheck('nutcracker', false, 'sudo apt-get install nutcracker', undefined, ' (only needed for --proxy nutcracker)'),
  ])
  checks.push(twproxyAvailable()
    ? {name: 'twproxy', ok: true, required: false, detail: `${TWPROXY_SCRIPT} with node ${process.version}`}
    : {name: 'twproxy', ok: false, required: false, detail: 'not built (needed for --proxy twproxy, the default)', fix: 'npm run build'})
  const home = twlabHome()
  try {
    if (!existsSync(home)) mkdirSync(home, {recursive: true})
    accessSync(home, constants.W_OK)
    checks.push({name: 'TWLAB_HOME', ok: true, required: true, detail: `${home} is writable`})
  } catch {
    checks.push({name: 'TWLAB_HOME', ok: false, required: true, detail: `${home} is not writable`, fix: 'set TWLAB_HOME to a folder you can write'})
  }
  const ports = Array.from({length: 20}, (_, i) => DEFAULT_BASE_PORT + i)
  const busy = await busyPorts('127.0.0.1', ports)
  checks.push(busy.length === 0
    ? {name: 'ports', ok: true, required: false, detail: `${DEFAULT_BASE_PORT}-${DEFAULT_BASE_PORT + 19} are free`}
    : {name: 'ports', ok: false, required: false, detail: `busy: ${busy.join(', ')}`, fix: 'twlab up picks the next free block by itself, or pass --base-port'})
  return checks
}
