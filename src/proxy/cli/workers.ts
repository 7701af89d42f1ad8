// --workers N: N processes (node:cluster) share the pools' listen ports, each with its own server
// connections. The primary accepts nothing itself but the stats port: it asks every worker for its
// counters and serves their sum, so the stats document looks like one nutcracker's.
import cluster, {type Worker} from 'node:cluster'
import {existsSync, unlinkSync} from 'node:fs'
import type {NutcrackerConfig} from '../../config/types.js'
import {errnoText} from '../io/errno.js'
import {Logger} from './log.js'
import type {ProxyCliOptions} from './options.js'
import {loadBackendsFor, Proxy} from '../proxy.js'
import {applyStartupFallbacks, reloadProxy} from '../reload/reload.js'
import {keyPlacerRouter} from '../server/routing.js'
import {snapshot, type StatsSnapshot, sumSnapshots} from '../stats/stats.js'

type Message =
  | {type: 'ready'}
  | {type: 'failed'; message: string}
  | {type: 'stats'; id: number; snap?: StatsSnapshot}

const STATS_TIMEOUT_MS = 1000
const READY_TIMEOUT_MS = 30_000
/** replacements for crashed workers allowed per minute, so a crash loop does not spin */
const MAX_RESPAWNS_PER_MINUTE = 10

export async function runWorker(options: ProxyCliOptions, config: NutcrackerConfig | null): Promise<number> {
  const send = (message: Message) => process.send?.(message)
  if (config === null) {
    send({type: 'failed', message: 'configuration is invalid'})
    return 1
  }
  const logger = new Logger(options.verbosity, options.output === '-' ? undefined : options.output)
  try {
    logger.open()
  } catch {
    // the primary opened the same file; stderr is the fallback
  }
  await loadBackendsFor(config)
  const proxy = new Proxy(config, {
    limits: options.limits, logger, mbufSize: options.mbufSize, makeRouter: keyPlacerRouter, sharedListeners: true,
  })
  applyStartupFallbacks(proxy)
  try {
    await proxy.start()
  } catch (error) {
    send({type: 'failed', message: `bind failed: ${errnoText(error)}`})
    return 1
  }
  process.on('message', (message: Message) => {
    if (message.type === 'stats') send({type: 'stats', id: message.id, snap: snapshot(proxy.stats)})
  })
  process.on('SIGUSR1', () => void reloadProxy(proxy, options.confFile, logger))
  process.on('SIGHUP', () => logger.reopen())
  process.on('SIGTTIN', () => logger.raise())
  process.on('SIGTTOU', () => logger.lower())
  process.on('SIGINT', () => {})
  send({type: 'ready'})
  return new Promise<number>((resolve) => {
    process.once('SIGTERM', () => {
      void proxy.close().finally(() => {
        resolve(0)
        setImmediate(() => process.exit(0)).unref()
      })
    })
    process.once('disconnect', () => {
      void proxy.close().finally(() => {
        resolve(0)
        setImmediate(() => process.exit(0)).unref()
      })
    })
  })
}

export interface Primary {
  collect(): Promise<StatsSnapshot>
  stop(): Promise<void>
}

export async function runPrimary(options: ProxyCliOptions, config: NutcrackerConfig, logger: Logger): Promise<Primary | null> {
  // stale unix sockets are removed once, here: a worker removing one would cut the others off
  for (const pool of config.pools) {
    if (pool.listen.kind === 'unix' && existsSync(pool.listen.path)) unlinkSync(pool.listen.path)
  }
  let stopping = false
  let nextId = 1
  const respawns: number[] = []
  const waiting = new Map<number, {snaps: StatsSnapshot[]; left: number; done: () => void}>()

  // every worker accepts on the shared listen socket itself (the kernel picks one); the default
  // round-robin policy would have the primary accept each connection and pass it on
  cluster.schedulingPolicy = cluster.SCHED_NONE
  const fork = (): Promise<Worker> => new Promise((resolve, reject) => {
    const worker = cluster.fork()
    const timer = setTimeout(() => reject(new Error('worker did not start in time')), READY_TIMEOUT_MS)
    worker.on('message', (message: Message) => {
      if (message.type === 'ready') {
        clearTimeout(timer)
        resolve(worker)
      } else if (message.type === 'failed') {
        clearTimeout(timer)
        reject(new Error(message.message))
      } else if (message.type === 'stats') {
        const pending = waiting.get(message.id)
        if (pending !== undefined && message.snap !== undefined) {
          pending.snaps.push(message.snap)
          if (--pending.left === 0) pending.done()
        }
      }
    })
    worker.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`worker exited (${signal ?? code})`))
      if (stopping) return
      const now = Date.now()
      while (respawns.length > 0 && now - respawns[0] > 60_000) respawns.shift()
      if (respawns.length >= MAX_RESPAWNS_PER_MINUTE) {
        logger.error(`worker ${worker.process.pid} exited (${signal ?? code}); too many restarts, not replacing it`, 'workers.ts')
        return
      }
      respawns.push(now)
      logger.error(`worker ${worker.process.pid} exited (${signal ?? code}); starting a new one`, 'workers.ts')
      fork().catch((error) => logger.error(`worker failed to start: ${(error as Error).message}`, 'workers.ts'))
    })
  })

  try {
    await Promise.all(Array.from({length: options.workers}, fork))
  } catch (error) {
    stopping = true
    logger.error(`starting ${options.workers} workers failed: ${(error as Error).message}`, 'workers.ts')
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill()
    return null
  }
  logger.notice(`serving with ${options.workers} workers`, 'workers.ts')

  const listeners = config.pools.length
  return {
    collect: () => new Promise<StatsSnapshot>((resolve) => {
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && w.isConnected())
      const id = nextId++
      const snaps: StatsSnapshot[] = []
      const finish = () => {
        waiting.delete(id)
        clearTimeout(timer)
        if (snaps.length === 0) {
          resolve(snapshot([]))
          return
        }
        const sum = sumSnapshots(snaps)
        // every worker counts the shared listening sockets; nutcracker counts them once
        sum.total -= (snaps.length - 1) * listeners
        sum.current -= (snaps.length - 1) * listeners
        resolve(sum)
      }
      const timer = setTimeout(finish, STATS_TIMEOUT_MS)
      waiting.set(id, {snaps, left: workers.length, done: finish})
      if (workers.length === 0) finish()
      for (const worker of workers) worker.send({type: 'stats', id} satisfies Message)
    }),
    stop: async () => {
      stopping = true
      const exits = Object.values(cluster.workers ?? {}).map((worker) => new Promise<void>((resolve) => {
        if (worker === undefined || worker.isDead()) return resolve()
        worker.once('exit', () => resolve())
        worker.process.kill('SIGTERM')
      }))
      await Promise.all(exits)
    },
  }
}
