// From a server name to how to run it: "system" is redis-server on PATH (or in --redis-bin DIR);
// any other name is an installed server, run through its own suite's loader, fetched first when
// the caller allows it.
import {existsSync} from 'node:fs'
import {UserError} from '../errors.js'
import {catalogEntry, SYSTEM_SERVER, type Product} from './catalog.js'
import {fetchServer, type FetchOptions} from './fetch.js'
import {findExecutable, programVersion, type ProgramCommand} from './programs.js'
import {installedProgram, readInstalled, type InstalledServer} from './store.js'
import {parseVersionLine} from './traits.js'

export interface ServerRuntime {
  /** "system", or the installed server's name */
  name: string
  product: Product
  /** "7.0.15", from `--version` of the binary (undefined if it would not say) */
  version?: string
  server: ProgramCommand
  /** a sentinel: this command plus `sentinelArgs` after the config file */
  sentinel: ProgramCommand
  sentinelArgs: string[]
  /** the installed server's folder; undefined for the system's */
  dir?: string
}

const INSTALL_REDIS = 'Install it with `sudo apt-get install redis-server redis-sentinel` (Debian/Ubuntu) or `brew install redis` (macOS), point --redis-bin at the folder holding it, or fetch one with `twlab servers add NAME`.'

/** The system's redis-server (PATH, or the folder `redisBin`), or a UserError saying what to install. */
export function systemRuntime(redisBin?: string): ServerRuntime {
  if (redisBin && !existsSync(redisBin)) {
    throw new UserError(`--redis-bin ${redisBin} does not exist: give the folder that holds redis-server.`)
  }
  const dirs = redisBin ? [redisBin] : undefined
  const server = findExecutable('redis-server', dirs)
  if (!server) throw new UserError(`redis-server was not found ${redisBin ? `in ${redisBin}` : 'on PATH'}.`, {hint: INSTALL_REDIS})
  const sentinel = findExecutable('redis-sentinel', dirs)
  return {
    name: SYSTEM_SERVER,
    product: 'redis',
    server: {bin: server, prefixArgs: []},
    sentinel: {bin: sentinel ?? server, prefixArgs: []},
    sentinelArgs: sentinel ? [] : ['--sentinel'],
  }
}

/** An installed server: sentinels are its server program with --sentinel (Debian ships no
 * valkey-sentinel/redis-sentinel link in the server package). */
export function installedRuntime(server: InstalledServer): ServerRuntime {
  const command = installedProgram(server, 'server')
  return {name: server.name, product: server.product, version: server.version, server: command, sentinel: command, sentinelArgs: ['--sentinel'], dir: server.dir}
}

/** Fills in `version` from the binary itself. */
export async function withVersion(runtime: ServerRuntime): Promise<ServerRuntime> {
  if (runtime.version) return runtime
  const line = await programVersion(runtime.server)
  const parsed = line ? parseVersionLine(line) : undefined
  return parsed ? {...runtime, product: parsed.product, version: parsed.version} : runtime
}

export interface ResolveOptions extends Omit<FetchOptions, 'home'> {
  redisBin?: string
  /** fetch a catalog server that is not installed yet (otherwise a UserError says how) */
  fetchMissing?: boolean
}

export async function resolveServer(home: string, name: string, options: ResolveOptions = {}): Promise<ServerRuntime> {
  if (name === SYSTEM_SERVER) return withVersion(systemRuntime(options.redisBin))
  if (options.redisBin) throw new UserError(`--redis-bin and --server ${name} both say which server to run: give only one.`)
  const installed = readInstalled(home, name)
  if (installed) return installedRuntime(installed)
  const entry = catalogEntry(name)
  if (!options.fetchMissing) throw new UserError(`Server ${name} is not installed: fetch it with \`twlab servers add ${name}\`.`)
  const {server} = await fetchServer(entry, {...options, home})
  return installedRuntime(server)
}
