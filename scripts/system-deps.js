// The system programs twlab's tests and benchmarks run for real, and how to get them.
// When one is missing and we run as root on Debian/Ubuntu, apt-get installs it; otherwise we say
// exactly what to install and stop.
import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'

// program -> Debian package that ships it
export const SYSTEM_PROGRAMS = {
  'redis-server': 'redis-server',
  'redis-sentinel': 'redis-sentinel',
  'redis-cli': 'redis-tools',
  'redis-benchmark': 'redis-tools',
  nutcracker: 'nutcracker',
  memcached: 'memcached',
}

const SEARCH_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']

export function findProgram(name) {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), ...SEARCH_PATH]
  for (const dir of dirs) if (existsSync(`${dir}/${name}`)) return `${dir}/${name}`
  return undefined
}

export function missingPackages(programs = Object.keys(SYSTEM_PROGRAMS)) {
  const missing = new Set()
  for (const program of programs) if (!findProgram(program)) missing.add(SYSTEM_PROGRAMS[program])
  return [...missing]
}

/** Installs what `programs` need (all of SYSTEM_PROGRAMS by default), or says what to install and exits 1. */
export function ensureSystemPrograms({log = console.error, programs = Object.keys(SYSTEM_PROGRAMS)} = {}) {
  let missing = missingPackages(programs)
  if (missing.length === 0) return
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], {stdio: 'ignore'}).status === 0
  if (isRoot && hasApt) {
    log(`Installing missing system packages with apt-get: ${missing.join(' ')}`)
    const env = {...process.env, DEBIAN_FRONTEND: 'noninteractive'}
    execFileSync('apt-get', ['update', '-qq'], {stdio: 'inherit', env})
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {stdio: 'inherit', env})
    missing = missingPackages(programs)
    if (missing.length === 0) return
  }
  log(`Missing system packages: install them with "sudo apt-get install ${missing.join(' ')}" (Debian/Ubuntu) and run again.`)
  process.exit(1)
}
