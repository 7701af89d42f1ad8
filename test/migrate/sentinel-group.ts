// A Sentinel group for the migration tests: a master, its replica and one redis-sentinel watching
// them (quorum 1), on ports the test picks, stopped by PID. `startSentinelGroup` returns once the
// replica holds everything the master was given and Sentinel has found the replica, so the test's
// failover (the master killed) has a replica Sentinel can promote.
//
// Sentinel promotes only a replica whose INFO it read less than 5 s before it picks one, and it
// reads a replica's INFO every 10 s by default (every second only once the master is judged
// down): killed at the wrong moment, the master's failover then hangs on one INFO answered within
// a tick of Sentinel's timer, and when that answer is late (a busy machine) Sentinel aborts the
// failover (-failover-abort-no-good-slave) and waits twice the failover-timeout before trying
// again. The group's Sentinel reads its replicas every second (SENTINEL DEBUG info-period).
import {spawn, type ChildProcess} from 'node:child_process'
import {existsSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {Redis} from 'ioredis'
import {freePort, startRedis, stopPid, tempDir, waitForPort, waitUntil, type RunningServer} from '../support/servers.js'

export interface SentinelGroup {
  /** the name Sentinel monitors the group under */
  name: string
  master: RunningServer
  replica: RunningServer
  /** host:port of the Sentinel, for --from-sentinel */
  sentinel: string
  /** Sentinel's log so far, for a failure's message */
  log(): string
  /** runs a test's body; a failure carries Sentinel's log */
  withLog<T>(body: () => Promise<T>): Promise<T>
  stop(): Promise<void>
}

export interface SentinelGroupOptions {
  name?: string
  /** writes the group's data on the master (before the replica is waited for) */
  fill?: (master: Redis) => Promise<void>
}

/** Sentinel's down-after: a killed master is judged down after this long */
const DOWN_AFTER_MS = 1000
/**
 * Long enough that a promotion Sentinel sees late on a busy machine is not aborted (an aborted
 * failover leaves the replica a master that Sentinel never names).
 */
const FAILOVER_TIMEOUT_MS = 30_000
/** how often Sentinel reads each replica's INFO (its default is 10 s) */
const INFO_PERIOD_MS = 1000

export async function startSentinelGroup(options: SentinelGroupOptions = {}): Promise<SentinelGroup> {
  const name = options.name ?? 'shop'
  const dir = tempDir('twlab-sentinel-group-')
  const logFile = join(dir, 'sentinel.log')
  const servers: RunningServer[] = []
  let sentinel: ChildProcess | undefined
  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '(no Sentinel log)')
  const stop = async () => {
    if (sentinel) await stopPid(sentinel)
    await Promise.all(servers.map((server) => server.stop()))
    rmSync(dir, {recursive: true, force: true})
  }
  try {
    // Redis 7 waits 5 s (repl-diskless-sync-delay) before a full sync: no wait for the replica here
    const master = await startRedis({args: ['--repl-diskless-sync-delay', '0']})
    servers.push(master)
    const replica = await startRedis({args: ['--replicaof', '127.0.0.1', String(master.port)]})
    servers.push(replica)
    const port = await freePort()
    writeFileSync(join(dir, 'sentinel.conf'), [
      `port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, `logfile ${logFile}`,
      `sentinel monitor ${name} 127.0.0.1 ${master.port} 1`,
      `sentinel down-after-milliseconds ${name} ${DOWN_AFTER_MS}`,
      `sentinel failover-timeout ${name} ${FAILOVER_TIMEOUT_MS}`,
      '',
    ].join('\n'))
    sentinel = spawn('redis-sentinel', [join(dir, 'sentinel.conf')], {stdio: 'ignore'})
    await waitForPort(port)
    await sentinelCall(port, 'DEBUG', 'info-period', String(INFO_PERIOD_MS))
    if (options.fill) await withClient(master.port, options.fill)
    await waitInSync(master.port, replica.port)
    await waitUntil(async () => {
      const replicas = (await sentinelCall(port, 'REPLICAS', name)) as string[][]
      return replicas.some((fields) => field(fields, 'port') === String(replica.port) && field(fields, 'flags') === 'slave')
    }, `Sentinel to find the replica of ${name}`, 30_000)
    const group: SentinelGroup = {
      name, master, replica, sentinel: `127.0.0.1:${port}`, log, stop,
      async withLog(body) {
        try {
          return await body()
        } catch (error) {
          if (error instanceof Error) error.message += `\n--- Sentinel's log ---\n${log()}`
          throw error
        }
      },
    }
    return group
  } catch (error) {
    if (error instanceof Error) error.message += `\n--- Sentinel's log ---\n${log()}`
    await stop()
    throw error
  }
}

function field(fields: string[], name: string): string | undefined {
  const at = fields.indexOf(name)
  return at < 0 ? undefined : fields[at + 1]
}

async function withClient<T>(port: number, use: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({port, host: '127.0.0.1', maxRetriesPerRequest: 1})
  try {
    return await use(client)
  } finally {
    client.disconnect()
  }
}

function sentinelCall(port: number, ...args: string[]): Promise<unknown> {
  return withClient(port, (client) => client.call('SENTINEL', ...args))
}

/** The replica's link is up and it has applied everything the master has. */
async function waitInSync(masterPort: number, replicaPort: number): Promise<void> {
  const replication = async (port: number) => withClient(port, (client) => client.info('replication'))
  await waitUntil(async () => {
    const [master, replica] = await Promise.all([replication(masterPort), replication(replicaPort)])
    const masterOffset = /master_repl_offset:(\d+)/.exec(master)?.[1]
    return /master_link_status:up/.test(replica) && /slave_repl_offset:(\d+)/.exec(replica)?.[1] === masterOffset
  }, 'the replica in sync with its master', 60_000)
}
