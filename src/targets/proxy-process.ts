// A running twproxy or nutcracker, as the tools that change what it serves see it: found by pid
// (or by the pid file it wrote with -p), told apart by its own command line in
// /proc/<pid>/cmdline, reloaded with SIGUSR1 (twproxy only; nutcracker must be restarted), and
// read through its stats port the nutcracker way (connect, receive one JSON document, closed).
// Pool changes and the pool-to-cluster cut-over both need this; it lives here once.
import {readFileSync} from 'node:fs'
import net from 'node:net'
import {formatAddress, type Address} from '../address.js'
import {UserError} from '../errors.js'
import {isProcessAlive, processArgv} from './process.js'

/** nutcracker's default stats port (its -s) */
export const DEFAULT_STATS_PORT = 22222

export type ProxyProgram = 'twproxy' | 'nutcracker'

export interface ProxyProcess {
  pid: number
  /** the arguments it was started with; argv[0] is the program */
  argv: string[]
  /** which proxy its command line names; undefined for any other program */
  program?: ProxyProgram
}

/**
 * The process running as `pid` and which proxy it is, or undefined when no such process runs.
 * A command line naming twproxy is twproxy even if it also names nutcracker (twproxy is started
 * as a drop-in, with nutcracker's paths in its arguments).
 */
export function findProxyProcess(pid: number): ProxyProcess | undefined {
  const argv = processArgv(pid)
  if (!argv || !isProcessAlive(pid)) return undefined
  const text = argv.join(' ')
  const program = /twproxy/.test(text) ? 'twproxy' : /nutcracker/.test(text) ? 'nutcracker' : undefined
  return {pid, argv, program}
}

/** The pid a proxy wrote with -p (its --pid-file). */
export function readPidFile(file: string): number {
  let text: string
  try {
    text = readFileSync(file, 'utf8').trim()
  } catch {
    throw new UserError(`The pid file ${file} cannot be read: pass the proxy's -p file, or its pid with --proxy-pid.`)
  }
  const pid = Number(text)
  if (!Number.isInteger(pid) || pid <= 0) throw new UserError(`The pid file ${file} does not hold a pid: pass the proxy's pid with --proxy-pid.`)
  return pid
}

/** An argv as one line a shell runs as it was (the restart step shown to users). */
export function shellWords(argv: string[]): string {
  return argv.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`)).join(' ')
}

/** Tells twproxy to reload its configuration (SIGUSR1); existing clients keep their connections. */
export function reloadTwproxy(pid: number): void {
  try {
    process.kill(pid, 'SIGUSR1')
  } catch (error) {
    throw new UserError(`twproxy (pid ${pid}) cannot be signalled: ${(error as Error).message}. Is it still running?`, {cause: error})
  }
}

/** The stats address from a proxy's own command line (-s PORT, -a HOST), else nutcracker's default. */
export function statsAddressOf(argv: string[]): Address {
  const value = (short: string, long: string): string | undefined => {
    for (let i = 0; i < argv.length; i++) {
      if (argv[i] === short || argv[i] === long) return argv[i + 1]
      if (argv[i].startsWith(`${long}=`)) return argv[i].slice(long.length + 1)
    }
    return undefined
  }
  const port = Number(value('-s', '--stats-port') ?? DEFAULT_STATS_PORT)
  let host = value('-a', '--stats-addr') ?? '127.0.0.1'
  // a proxy listening on every interface is reached on the loopback one
  if (host === '0.0.0.0') host = '127.0.0.1'
  return {host, port}
}

/** One stats document: under each pool, every value that is an object is one backend server. */
export function readProxyStats(address: Address, timeoutMs = 2000): Promise<Record<string, unknown>> {
  const text = formatAddress(address)
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const socket = net.connect({host: address.host, port: address.port})
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no stats from ${text} within ${timeoutMs} ms`)))
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', reject)
    socket.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>)
      } catch (error) {
        reject(new Error(`the stats at ${text} are not JSON: ${(error as Error).message}`))
      }
    })
  })
}
