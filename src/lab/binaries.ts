// Finding the programs a lab runs: the server (the system's redis-server, or one from
// `twlab servers`, resolved by src/servers), nutcracker, and twproxy (this package's own
// bin/twproxy.js, run with the current node).
import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {UserError} from '../errors.js'
import {findExecutable, programVersion as versionOf} from '../servers/programs.js'
import type {ServerRuntime} from '../servers/resolve.js'
import type {LabNodeServer, LaunchCommand, ProxyKind, Topology} from './state.js'

export {findExecutable}

const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url))

export interface LabBinaries {
  redisServer: string
  /** arguments before the config file: a fetched server runs through its suite's loader */
  redisPrefixArgs?: string[]
  /** how to start a sentinel: redis-sentinel, or the server with --sentinel */
  sentinel?: {bin: string; prefixArgs?: string[]; extraArgs: string[]}
  proxy?: {bin: string; prefixArgs: string[]}
  /** which server the nodes run, recorded on each node (absent: the system's) */
  server?: LabNodeServer
}

export const TWPROXY_SCRIPT = join(PACKAGE_ROOT, 'bin', 'twproxy.js')
const TWPROXY_BUILT = join(PACKAGE_ROOT, 'dist', 'src', 'proxy', 'cli', 'cli.js')

export function twproxyAvailable(): boolean {
  return existsSync(TWPROXY_SCRIPT) && existsSync(TWPROXY_BUILT)
}

/**
 * The proxy to run when the user did not choose one: twproxy, or nutcracker (with a reason to
 * tell the user) when this installation has no built twproxy.
 */
export function defaultProxy(): {kind: ProxyKind; note?: string} {
  if (twproxyAvailable()) return {kind: 'twproxy'}
  if (findExecutable('nutcracker')) return {kind: 'nutcracker', note: 'twproxy is not built in this installation (npm run build): using nutcracker.'}
  return {kind: 'twproxy'}
}

/** Resolves the proxy the lab needs beside its server, or throws one sentence naming what is missing. */
export function resolveBinaries(options: {topology: Topology; proxy: ProxyKind; server: ServerRuntime}): LabBinaries {
  const {server} = options
  const binaries: LabBinaries = {
    redisServer: server.server.bin,
    redisPrefixArgs: server.server.prefixArgs,
    server: {name: server.name, product: server.product, ...(server.version ? {version: server.version} : {})},
  }
  if (options.topology === 'sentinel') {
    binaries.sentinel = {bin: server.sentinel.bin, prefixArgs: server.sentinel.prefixArgs, extraArgs: server.sentinelArgs}
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
  return versionOf({bin, prefixArgs})
}
