// A write-loss detector in the manner of redis-rb-cluster's consistency-test: INCR counters and
// read them back, remembering what each acknowledged INCR returned. A read below that is a lost
// write (acknowledged, then gone, e.g. across a failover); a read above it is a write that
// failed or timed out for us yet was applied. Only GET, INCR and DEL are sent, so it works
// through twproxy/nutcracker as well as against a standalone redis or a cluster. A cluster node
// is recognised as one (cluster_enabled in INFO) and checked with a cluster client; a MOVED or
// ASK reply is a failed command and spoils the verdict, never a success.
import {randomBytes} from 'node:crypto'
import net from 'node:net'
import type {Cluster, Redis} from 'ioredis'
import {formatAddress} from '../address.js'
import {UserError, describeSystemError} from '../errors.js'
import {createClient, createClusterClient} from '../targets/client-factory.js'
import {setTimeout as sleep} from 'node:timers/promises'

export interface ConsistencyOptions {
  host: string
  port: number
  /** use a cluster client; undefined: ask the target (INFO cluster) */
  cluster?: boolean
  password?: string
  durationMs: number
  keys: number
  /** parallel workers; each owns a disjoint share of the keys so expectations never race */
  concurrency: number
  /** per-command timeout; a timed-out INCR counts as failed (and may show up as unacknowledged) */
  commandTimeoutMs: number
  /** leave the counters in place afterwards (they are deleted by default) */
  keep: boolean
  /** key prefix; default a fresh random one, so every run starts from absent keys */
  prefix?: string
  signal?: AbortSignal
  onProgress?: (report: ConsistencyReport) => void
  progressEveryMs?: number
}

export interface ConsistencyReport {
  target: string
  mode: 'standalone' | 'cluster'
  prefix: string
  keys: number
  elapsedMs: number
  reads: number
  writes: number
  failedReads: number
  failedWrites: number
  /** acknowledged increments that later reads did not see */
  lostWrites: number
  /** increments that failed or timed out for us but were applied anyway */
  notAckWrites: number
  /** commands answered with MOVED or ASK: the target is part of a cluster this client did not follow */
  redirected: number
  /** a few keys where writes were lost */
  lostKeys: string[]
  /** the most frequent error messages and how often they happened */
  errors: Array<{message: string; count: number}>
  consistent: boolean
}

type Client = Redis | Cluster

/**
 * `watch` clients: they reconnect (and the cluster one re-reads the slot map) until the check is
 * closing, so an outage shows as failed commands and the check carries on after it. The
 * standalone target may be a twemproxy, which answers neither INFO nor CLIENT SETINFO.
 */
function openClient(options: ConsistencyOptions, closing: {done: boolean}): Client {
  const common = {
    policy: 'watch' as const,
    password: options.password,
    commandTimeoutMs: options.commandTimeoutMs,
    lazyConnect: false,
    // once we are done, stop reconnecting to dead nodes: a pending retry would keep the CLI alive
    stopRetrying: () => closing.done,
  }
  const address = {host: options.host, port: options.port}
  if (options.cluster) return createClusterClient([address], {...common, slotsRefreshIntervalMs: 1000})
  return createClient(address, {...common, connectTimeoutMs: Math.max(options.commandTimeoutMs, 1000), proxy: true})
}

class Tally {
  reads = 0
  writes = 0
  failedReads = 0
  failedWrites = 0
  lostWrites = 0
  notAckWrites = 0
  redirected = 0
  lostKeys = new Set<string>()
  errors = new Map<string, number>()

  error(error: unknown): void {
    if (/^(MOVED|ASK) /.test(String((error as Error)?.message))) this.redirected++
    const message = String((error as Error)?.message ?? error).replace(/\d+\.\d+\.\d+\.\d+:\d+/g, 'HOST:PORT').slice(0, 120)
    this.errors.set(message, (this.errors.get(message) ?? 0) + 1)
  }
}

/**
 * Our own bound on every command: ioredis's commandTimeout only starts once a command is sent to
 * a node, and a cluster client holds commands in its own queue while it refreshes the slot map.
 */
function bounded<T>(operation: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no reply within ${ms} ms`)), ms)
  })
  operation.catch(() => undefined)
  return Promise.race([operation, timeout]).finally(() => clearTimeout(timer))
}

function snapshot(tally: Tally, options: ConsistencyOptions, prefix: string, started: number): ConsistencyReport {
  return {
    target: formatAddress(options),
    mode: options.cluster ? 'cluster' : 'standalone',
    prefix,
    keys: options.keys,
    elapsedMs: Date.now() - started,
    reads: tally.reads,
    writes: tally.writes,
    failedReads: tally.failedReads,
    failedWrites: tally.failedWrites,
    lostWrites: tally.lostWrites,
    notAckWrites: tally.notAckWrites,
    redirected: tally.redirected,
    lostKeys: [...tally.lostKeys].slice(0, 10),
    errors: [...tally.errors.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([message, count]) => ({message, count})),
    consistent: tally.lostWrites === 0 && tally.redirected === 0,
  }
}

/** A bare TCP connect: ioredis retries hide why a target is unreachable, this does not. */
function probeTcp(host: string, port: number, timeoutMs: number): Promise<Error | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({host, port})
    const done = (error?: Error) => {
      clearTimeout(timer)
      socket.destroy()
      resolve(error)
    }
    const timer = setTimeout(() => done(Object.assign(new Error('timeout'), {code: 'ETIMEDOUT'})), timeoutMs)
    socket.once('connect', () => done())
    socket.once('error', (error) => done(error))
  })
}

async function firstContact(client: Client, options: ConsistencyOptions, key: string): Promise<void> {
  const target = formatAddress(options)
  const unreachable = await probeTcp(options.host, options.port, Math.max(options.commandTimeoutMs, 2000))
  if (unreachable) {
    throw new UserError(describeSystemError(unreachable, target) ?? `${target} cannot be reached: ${unreachable.message}.`, {cause: unreachable})
  }
  try {
    await Promise.race([
      client.get(key),
      sleep(Math.max(5000, options.commandTimeoutMs)).then(() => {
        throw new Error('timeout')
      }),
    ])
  } catch (error) {
    const cause = (error as {lastNodeError?: unknown}).lastNodeError ?? error
    const systemMessage = describeSystemError(cause, target)
    const text = String((cause as Error)?.message ?? cause)
    // it answers, only elsewhere: counted as a redirected (failed) command from here on
    if (/^(MOVED|ASK) /.test(text)) return
    if (/NOAUTH|WRONGPASS|invalid password|Authentication/i.test(text)) {
      throw new UserError(`${target} refused the password: pass the right one with --password.`, {cause: error})
    }
    if (/cluster support disabled/i.test(text)) {
      throw new UserError(`${target} is not a cluster node: give it as --target.`, {cause: error})
    }
    throw new UserError(systemMessage ?? `${target} did not answer a GET (${text}): is it running?`, {cause: error})
  }
}

/**
 * Whether host:port is a Redis Cluster node: INFO cluster says cluster_enabled:1. A proxy
 * (twemproxy answers no INFO) or a standalone redis is not.
 */
export async function isClusterNode(options: Pick<ConsistencyOptions, 'host' | 'port' | 'password' | 'commandTimeoutMs'>): Promise<boolean> {
  const client = createClient({host: options.host, port: options.port}, {
    policy: 'probe', password: options.password, connectTimeoutMs: Math.max(options.commandTimeoutMs, 1000),
    commandTimeoutMs: Math.max(options.commandTimeoutMs, 1000), handshake: false,
  })
  try {
    return /^cluster_enabled:1\s*$/m.test(String(await client.info('cluster')))
  } catch {
    return false
  } finally {
    client.disconnect()
  }
}

export async function runConsistencyCheck(given: ConsistencyOptions): Promise<ConsistencyReport> {
  if (!Number.isInteger(given.keys) || given.keys < 1) throw new UserError(`--keys ${given.keys} must be 1 or more.`)
  if (given.durationMs <= 0) throw new UserError('--duration must be longer than zero.')
  const options = {...given, cluster: given.cluster ?? await isClusterNode(given)}
  const prefix = options.prefix ?? `twlab:consistency:${randomBytes(4).toString('hex')}`
  const keyName = (index: number) => `${prefix}:${index}`
  const closing = {done: false}
  const client = openClient(options, closing)
  const tally = new Tally()
  const started = Date.now()
  try {
    await firstContact(client, options, keyName(0))
    // Fresh prefix: every counter starts absent, i.e. at 0, so even the first writes are checked.
    const expected = new Array<number>(options.keys).fill(0)
    const deadline = started + options.durationMs
    const workers = Math.max(1, Math.min(options.concurrency, options.keys))
    // room for ioredis's own retries and redirections before we call an operation failed
    const opTimeout = options.commandTimeoutMs * 2 + 500
    const progress = options.onProgress
      ? setInterval(() => options.onProgress?.(snapshot(tally, options, prefix, started)), options.progressEveryMs ?? 1000)
      : undefined
    const worker = async (w: number) => {
      const share = Math.ceil((options.keys - w) / workers)
      while (Date.now() < deadline && !options.signal?.aborted) {
        const index = w + workers * Math.floor(Math.random() * share)
        const key = keyName(index)
        let failed = false
        try {
          const text = await bounded(client.get(key), opTimeout)
          const value = text === null ? 0 : Number(text)
          tally.reads++
          if (value < expected[index]) {
            tally.lostWrites += expected[index] - value
            tally.lostKeys.add(key)
          } else if (value > expected[index]) {
            tally.notAckWrites += value - expected[index]
          }
          // Count each divergence once: from here on, what the server holds is the baseline.
          expected[index] = value
        } catch (error) {
          tally.failedReads++
          tally.error(error)
          failed = true
        }
        try {
          expected[index] = Number(await bounded(client.incr(key), opTimeout))
          tally.writes++
        } catch (error) {
          tally.failedWrites++
          tally.error(error)
          failed = true
        }
        // While a node is down, do not spin on instant failures.
        if (failed) await sleep(20)
      }
    }
    try {
      await Promise.all(Array.from({length: workers}, (_, w) => worker(w)))
    } finally {
      if (progress) clearInterval(progress)
    }
    const report = snapshot(tally, options, prefix, started)
    if (!options.keep) await deleteKeys(client, options.keys, keyName)
    return report
  } finally {
    closing.done = true
    client.disconnect()
  }
}

/** Best effort, bounded: one DEL per key (keys may live on different cluster nodes). */
async function deleteKeys(client: Client, count: number, keyName: (index: number) => string): Promise<void> {
  const deadline = Date.now() + 10_000
  for (let start = 0; start < count && Date.now() < deadline; start += 200) {
    const batch = Array.from({length: Math.min(200, count - start)}, (_, i) => keyName(start + i))
    await Promise.all(batch.map((key) => bounded(client.del(key), 2000).catch(() => undefined)))
  }
}
