// Real servers for tests: redis-server, nutcracker, memcached on 127.0.0.1, on ports we pick,
// each tracked by PID and stopped by PID (never by name). Every wait here is bounded.
import {spawn, type ChildProcess} from 'node:child_process'
import {closeSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

export interface RunningServer {
  kind: string
  port: number
  pid: number
  child: ChildProcess
  dir: string
  stop(): Promise<void>
}

const running = new Set<RunningServer>()

// Test servers listen below the kernel's ephemeral range (32768 and up here): ports the kernel
// hands out there also serve the outgoing connections of tests running at the same time (one
// proxy test opens 10,000), and a server that finds its port taken by one of them dies at start.
// Cluster bus ports (+10000) stay below that range too. Single ports come from 10000-11999 (bus
// ports 20000-21999); labs take 100-port blocks above them (test/lab/support.ts), so the two
// never break into each other.
const PORT_LOW = 10_000
const PORT_HIGH = 12_000
const handedOut = new Set<number>()

/**
 * The test run's port registry (a folder scripts/test.js makes, named by TWLAB_TEST_PORTS): a
 * port is claimed by creating its file, so two test files never use the same port at once, and a
 * port one test freed (a server it killed, its Sentinel still watching that address) is not taken
 * by another test while it matters. A claim lapses after CLAIM_MS, so a long run reuses ports.
 * Without the folder (a test file run on its own) every port counts as claimable.
 */
const CLAIM_MS = 5 * 60_000

export function claimPort(port: number): boolean {
  const registry = process.env.TWLAB_TEST_PORTS
  if (registry === undefined || registry === '') return true
  const file = join(registry, String(port))
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      closeSync(openSync(file, 'wx'))
      return true
    } catch {
      // claimed: by a test still running, or long enough ago to have lapsed
      const claimedAt = statSync(file, {throwIfNoEntry: false})?.mtimeMs
      if (claimedAt !== undefined && Date.now() - claimedAt < CLAIM_MS) return false
      rmSync(file, {force: true})
    }
  }
  return false
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.unref()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

/** A TCP port on 127.0.0.1 that nothing listens on right now, outside the ephemeral range. */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 4000; tries++) {
    const port = PORT_LOW + Math.floor(Math.random() * (PORT_HIGH - PORT_LOW))
    if (handedOut.has(port) || handedOut.has(port + 10_000)) continue
    // the port and its cluster bus port, claimed for this whole run
    if (!claimPort(port) || !claimPort(port + 10_000)) continue
    if (await canListen(port)) {
      handedOut.add(port)
      return port
    }
  }
  throw new Error(`no free port between ${PORT_LOW} and ${PORT_HIGH} after 4000 tries`)
}

/** Several distinct free ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>()
  for (let tries = 0; ports.size < count && tries < count * 20; tries++) ports.add(await freePort())
  if (ports.size < count) throw new Error(`could not find ${count} free ports`)
  return [...ports]
}

export function tempDir(prefix = 'twlab-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port, or rejects after timeoutMs. */
export async function waitForPort(port: number, timeoutMs = 30_000, host = '127.0.0.1'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (let attempt = 0; attempt < 1000; attempt++) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect({host, port})
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > deadline) break
    await sleep(25)
  }
  throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`)
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Polls `check` (a throw counts as false) every `everyMs` until it holds, for at most `timeoutMs` and 10,000 tries. */
export async function waitUntil(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (let attempt = 0; attempt < 10_000; attempt++) {
    if (await (async () => check())().catch(() => false)) return
    if (Date.now() > deadline) break
    await sleep(everyMs)
  }
  throw new Error(`timed out waiting for ${what}`)
}

function track(kind: string, port: number, child: ChildProcess, dir: string, ownsDir: boolean): RunningServer {
  if (child.pid === undefined) throw new Error(`${kind} did not start`)
  const server: RunningServer = {
    kind,
    port,
    pid: child.pid,
    child,
    dir,
    async stop() {
      running.delete(server)
      await stopPid(child)
      if (ownsDir) rmSync(dir, {recursive: true, force: true})
    },
  }
  running.add(server)
  return server
}

/** SIGTERM by PID, then SIGKILL if it is still alive after 3 s. */
export async function stopPid(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
  await exited
  clearTimeout(timer)
}

export interface RedisOptions {
  port?: number
  args?: string[]
}

/** A throwaway redis-server: no persistence, loopback only. */
export async function startRedis(options: RedisOptions = {}): Promise<RunningServer> {
  const port = options.port ?? (await freePort())
  const dir = tempDir('twlab-redis-')
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--dir', dir, '--daemonize', 'no', '--loglevel', 'warning', ...(options.args ?? [])]
  const child = spawn('redis-server', args, {stdio: 'ignore'})
  const server = track('redis-server', port, child, dir, true)
  try {
    await waitForPort(port)
  } catch (error) {
    await server.stop()
    throw error
  }
  return server
}

export async function startMemcached(port?: number): Promise<RunningServer> {
  const p = port ?? (await freePort())
  const child = spawn('memcached', ['-l', '127.0.0.1', '-p', String(p), '-U', '0', '-u', 'root', '-m', '64'], {stdio: 'ignore'})
  const server = track('memcached', p, child, tmpdir(), false)
  await waitForPort(p)
  return server
}

export interface NutcrackerOptions {
  /** nutcracker.yml text; the listen addresses in it must use ports the caller picked. */
  config: string
  /** a port the config listens on, waited for before returning */
  waitPort: number
  statsPort?: number
  args?: string[]
}

/** The real nutcracker, the oracle for anything nutcracker does. */
export async function startNutcracker(options: NutcrackerOptions): Promise<RunningServer & {statsPort: number; configFile: string}> {
  const dir = tempDir('twlab-nutcracker-')
  const configFile = join(dir, 'nutcracker.yml')
  writeFileSync(configFile, options.config)
  const statsPort = options.statsPort ?? (await freePort())
  const args = ['-c', configFile, '-s', String(statsPort), '-a', '127.0.0.1', '-i', '1', '-o', join(dir, 'nutcracker.log'), ...(options.args ?? [])]
  const child = spawn('nutcracker', args, {stdio: 'ignore'})
  const server = track('nutcracker', options.waitPort, child, dir, true)
  try {
    await waitForPort(options.waitPort)
  } catch (error) {
    await server.stop()
    throw error
  }
  return Object.assign(server, {statsPort, configFile})
}

/** Stops every server this process started that is still running. Call it in an `after` hook. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((server) => server.stop()))
}
