// Installed servers on disk: $TWLAB_HOME/servers/<name>/ holds the extracted packages and a
// server.json manifest written last, so a folder without one is never taken for a server.
// Dot-folders there (.apt, .staging-*, .lock) are the fetcher's own.
import {existsSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import type {Product} from './catalog.js'
import type {ProgramCommand} from './programs.js'

export const MANIFEST = 'server.json'

export interface InstalledServer {
  name: string
  product: Product
  /** the server's own version, from `--version` of the installed binary */
  version: string
  suite: string
  /** every package extracted there, with its Debian version */
  packages: Array<{name: string; version: string}>
  fetchedAt: string
  /** paths relative to the server's folder */
  loader: string
  /** the library path: folders relative to the server's folder first, then the system's (absolute) */
  libraryPath: string[]
  programs: {server: string; cli: string}
  /** set when read: the server's folder */
  dir: string
}

export function serversRoot(twlabHome: string): string {
  return join(twlabHome, 'servers')
}

export function isServerName(name: string): boolean {
  return /^[a-z][a-z0-9.-]{0,39}$/.test(name)
}

export function readInstalled(twlabHome: string, name: string): InstalledServer | undefined {
  if (!isServerName(name)) return undefined
  const dir = join(serversRoot(twlabHome), name)
  const manifest = join(dir, MANIFEST)
  if (!existsSync(manifest)) return undefined
  try {
    return {...(JSON.parse(readFileSync(manifest, 'utf8')) as InstalledServer), dir}
  } catch {
    return undefined
  }
}

/** Every installed server, by name. */
export function listInstalled(twlabHome: string): InstalledServer[] {
  const root = serversRoot(twlabHome)
  if (!existsSync(root)) return []
  return readdirSync(root).sort().filter((name) => !name.startsWith('.')).flatMap((name) => readInstalled(twlabHome, name) ?? [])
}

/** Removes an installed server's folder; false if it was not there. */
export function removeInstalled(twlabHome: string, name: string): boolean {
  const server = readInstalled(twlabHome, name)
  if (!server) return false
  rmSync(server.dir, {recursive: true, force: true})
  return true
}

function absolute(server: InstalledServer, path: string): string {
  return path.startsWith('/') ? path : join(server.dir, path)
}

/**
 * How to run one of the server's programs through the loader of its own suite's C library:
 * `ld-linux ... --library-path LIBS PROGRAM args`. The program keeps its own name as argv[0],
 * which is how valkey-server/redis-server decide what to be.
 */
export function installedProgram(server: InstalledServer, program: keyof InstalledServer['programs']): ProgramCommand {
  return {
    bin: absolute(server, server.loader),
    prefixArgs: ['--library-path', server.libraryPath.map((dir) => absolute(server, dir)).join(':'), absolute(server, server.programs[program])],
  }
}
