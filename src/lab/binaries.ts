// Finding the programs a lab runs: redis-server and redis-sentinel (PATH or --redis-bin DIR),
// nutcracker, and twproxy (this package's own bin/twproxy.js, run with the current node).
import {existsSync, statSync} from 'node:fs'
import {delimiter, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {execa} from 'execa'
import {UserError} from '../errors.js'
import type {LaunchCommand, ProxyKind, Topology} from './state.js'

const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
/** sbin directories are often missing from a user's PATH, yet Debian puts nutcracker there. */
const EXTRA_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']

function isExecutableFile(path: string): boolean {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}

/** The full path of `name` in `dirs` (first hit), or undefined. */
export function findExecutable(name: string, dirs?: string[]): string | undefined {
  const search = dirs ?? [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS]
  for (const dir of search) {
    const path = join(dir, name)
    if (isExecutableFile(path)) return path
  }
  return undefined
}

export interface LabBinaries {
  redisServer: string
  /** how to start a sentinel: redis-sentinel, or redis-server with --sentinel */
  sentinel?: {bin: string; extraArgs: string[]}
  proxy?: {bin: string; prefixArgs: string[]}
}

export const TWPROXY_SCRIPT = join(PACKAGE_ROOT, 'bin', 'twproxy.js')
const TWPROXY_BUILT = join(PACKAGE_ROOT, 'dist', 'src', 'proxy', 'cli', 'cli.js')

export function twproxyAvailable(): boolean {
  return existsSync(TWPROXY_SCRIPT) && existsSync(TWPROXY_BUILT)
}

const INSTALL_REDIS = 'Install it with `sudo apt-get install redis-server redis-sentinel` (Debian/Ubuntu) or `brew install redis` (macOS), or point --redis-bin at the folder holding it.'

function redisDirs(redisBin?: string): string[] | undefined {
  return redisBin ? [redisBin] : undefined
}

/** Resolves every program the lab needs, or throws one sentence naming what is missing. */
/**
 * The proxy to run when the user did not choose one: twproxy, or nutcracker (with a reason to
 * tell the user) when this installation has no built twproxy.
 */
export function defaultProxy(): {kind: ProxyKind; note?: string} {
  if (twproxyAvailable()) return {kind: 'twproxy'}
  if (findExecutable('nutcracker')) return {kind: 'nutcracker', note: 'twproxy is not built in this installation (npm run build): using nutcracker.'}
  return {kind: 'twproxy'}
}

export function resolveBinaries(options: {topology: Topology; proxy: ProxyKind; redisBin?: string}): LabBinaries {
  if (options.redisBin && !existsSync(options.redisBin)) {
    throw new UserError(`--redis-bin ${options.redisBin} does not exist: give the folder that holds redis-server.`)
  }
  const where = options.redisBin ? `in ${options.redisBin}` : 'on PATH'
  const redisServer = findExecutable('redis-server', redisDirs(options.redisBin))
  if (!redisServer) throw new UserError(`redis-server was not found ${where}.`, {hint: INSTALL_REDIS})
  const binaries: LabBinaries = {redisServer}
  if (options.topology === 'sentinel') {
    const sentinel = findExecutable('redis-sentinel', redisDirs(options.redisBin))
    binaries.sentinel = sentinel ? {bin: sentinel, extraArgs: []} : {bin: redisServer, extraArgs: ['--sentinel']}
  }
  if (options.proxy === 'nutcracker') {
    const nutcracker = findExecutable('nutcracker')
    if (!nutcracker) {
      throw new UserError('nutcracker was not found on PATH.', {hint: 'Install it with `sudo apt-get install nutcracker`, or use --proxy twproxy.'})
    }
    binaries.proxy = {bin: nutcracker, prefixArgs: []}
  } else if (options.proxy === 'twproxy') {
    if (!twproxyAvailable()) {
      throw new UserError('twproxy is not built in this installation.', {hint: 'Run `npm run build`, or use --proxy nutcracker.'})
    }
    binaries.proxy = {bin: process.execPath, prefixArgs: [TWPROXY_SCRIPT]}
  }
  return binaries
}

export function describeLaunch(launch: LaunchCommand): string {
  return [launch.bin, ...launch.args].join(' ')
}

/** The first line `PROGRAM --version` prints (nutcracker prints to stderr), or undefined. */
export async function programVersion(bin: string, prefixArgs: string[] = []): Promise<string | undefined> {
  try {
    const result = await execa(bin, [...prefixArgs, '--version'], {reject: false, timeout: 5000, all: true})
    const line = (result.all ?? '').split('\n').find((text) => text.trim().length > 0)
    return line?.trim()
  } catch {
    return undefined
  }
}
