// twproxy's entry: nutcracker's command line and life cycle. Options errors print the message and
// the usage (exit 1); -h/-V/-D print and exit 0; -t checks the configuration; otherwise the log is
// opened, the process daemonizes (-d), writes its pid file (-p), loads the configuration and
// serves every pool until SIGINT/SIGTERM.
//
// What a plain pool does not use is loaded when needed: the workers with --workers, the reload on
// the first SIGUSR1 (or at start for a file with fallback_servers), the metrics server with
// --metrics. (node:cluster itself comes with any listening socket: net's listen() asks it whether
// this process is a worker.)
import cluster from 'node:cluster'
import {unlinkSync, writeFileSync} from 'node:fs'
import {release} from 'node:os'
import {checkConfigFile, nutcrackerTestOutput, syntaxLine} from '../../config/check.js'
import {formatProblem} from '../../config/problems.js'
import type {NutcrackerConfig} from '../../config/types.js'
import {errnoText} from '../io/errno.js'
import {Logger} from './log.js'
import {parseProxyArgs, type ProxyCliOptions, TWPROXY_USAGE, USAGE, VERSION_BANNER} from './options.js'
import {loadBackendsFor, Proxy} from '../proxy.js'
import {fallbackServersOf} from '../../config/extension-keys/index.js'
import {enableLatency} from '../stats/latency.js'
import type {MetricsServer} from '../stats/metrics.js'
import {keyPlacerRouter} from '../server/routing.js'
import {describeStats, type PoolStats, snapshot, type StatsSnapshot} from '../stats/stats.js'
import {StatsServer} from '../stats/stats-server.js'
import {TlsFileError} from '../io/tls.js'

const DAEMON_ENV = 'TWPROXY_DAEMONIZED'


export async function main(argv: string[]): Promise<number> {
  const parsed = parseProxyArgs(argv)
  if (!parsed.ok) {
    process.stderr.write(`${parsed.message}\n${USAGE}`)
    return 1
  }
  const options = parsed.options
  if (options.twproxyHelp) {
    process.stderr.write(TWPROXY_USAGE)
    return 0
  }
  if (options.version) {
    let text = VERSION_BANNER
    if (options.help) text += USAGE
    if (options.describeStats) text += describeStats()
    process.stderr.write(text)
    return 0
  }
  if (options.testConf) return testConf(options.confFile)
  if (cluster.isWorker) {
    const {runWorker} = await import('./workers.js')
    return runWorker(options, await loadOrNull(options, new Logger(options.verbosity, options.output)))
  }
  return run(options)
}

async function testConf(file: string): Promise<number> {
  const check = await checkConfigFile(file)
  const verdict = nutcrackerTestOutput(check)
  // nutcracker's verdict lines, after the precise reasons it does not print
  const reasons = check.problems.map((problem) => `${formatProblem(problem)}\n`).join('')
  process.stderr.write(`${reasons}${verdict.stderr}`)
  return verdict.exitCode
}

async function loadOrNull(options: ProxyCliOptions, logger: Logger): Promise<NutcrackerConfig | null> {
  // twlab's extension keys (fallback_servers, sentinels, health_check, reuseport) are accepted
  // when serving; -t stays nutcracker-exact
  const check = await checkConfigFile(options.confFile, {extensions: true})
  if (check.ok) return check.config!
  for (const problem of check.problems) {
    if (problem.nutcracker !== undefined) logger.error(problem.nutcracker, 'conf.ts')
    logger.error(formatProblem(problem), 'conf.ts')
  }
  return null
}

/** What a run has started so far: undone in one place (cleanUp), whichever phase ends the run. */
interface Started {
  /** the pid file written (-p) */
  pidFile?: string
  /** stops the pools (this process's proxy, or the workers) */
  stop?: () => Promise<void>
  stats?: StatsServer
  metrics?: MetricsServer
}

/** The pools being served, in this process or by workers. */
interface Serving {
  collect: () => Promise<StatsSnapshot> | StatsSnapshot
  /** this process's live pool stats (--metrics latency); undefined with workers */
  livePools: () => PoolStats[] | undefined
  stop: () => Promise<void>
  reload: () => void
}

/** How a run ended: its exit code, and whether it was a signal (then sockets still closing must not keep the process alive). */
interface Ending {
  code: number
  signalled: boolean
}

async function run(options: ProxyCliOptions): Promise<number> {
  const logger = openLog(options)
  if (logger === undefined) return 1
  if (options.daemonize && process.env[DAEMON_ENV] !== '1') return daemonize()
  logger.always(`nutcracker-0.5.0 built for Linux ${release()} ${process.arch === 'x64' ? 'x86_64' : process.arch} started on pid ${process.pid}`, 'nc.ts')
  logger.always("run, rabbit run / dig that hole, forget the sun / and when at last the work is done / don't sit down / it's time to dig another one", 'nc.ts')
  // as nutcracker, before anything is bound: a SIGHUP from logrotate must never find the default action (exit)
  followLogSignals(logger)
  const started: Started = {}
  const ending = await startAndServe(options, logger, started)
  await cleanUp(started)
  logger.always('done, rabbit done', 'nc.ts')
  logger.close()
  if (ending.signalled) setImmediate(() => process.exit(ending.code)).unref()
  return ending.code
}

/** -o: the log file, or undefined (and why on stderr) when it cannot be opened. */
function openLog(options: ProxyCliOptions): Logger | undefined {
  const logger = new Logger(options.verbosity, options.output === '-' ? undefined : options.output)
  try {
    logger.open()
    return logger
  } catch (error) {
    process.stderr.write(`opening log file '${options.output}' failed: ${errnoText(error)}\n`)
    return undefined
  }
}

/** The phases of a run, each recorded in `started` as it succeeds; resolves when the run ends. */
async function startAndServe(options: ProxyCliOptions, logger: Logger, started: Started): Promise<Ending> {
  const failed: Ending = {code: 1, signalled: false}
  if (!writePidFile(options, logger)) return failed
  started.pidFile = options.pidFile
  const config = await loadOrNull(options, logger)
  if (config === null) {
    process.stderr.write(`${syntaxLine(options.confFile, false)}\n`)
    return failed
  }
  const startedAt = Date.now()
  if (options.metrics !== undefined) enableLatency()
  const serving = await startPools(options, config, logger)
  if (serving === undefined) return failed
  started.stop = serving.stop
  started.stats = await startStats(options, serving, startedAt, logger)
  if (started.stats === undefined) return failed
  const metrics = await startMetrics(options, serving.collect, serving.livePools, startedAt, logger)
  if (metrics === null) return failed
  started.metrics = metrics
  return untilShutdown(options, logger, serving)
}

/** -p: false (logged) when the pid file cannot be written. */
function writePidFile(options: ProxyCliOptions, logger: Logger): boolean {
  if (options.pidFile === undefined) return true
  try {
    writeFileSync(options.pidFile, `${process.pid}\n`, {mode: 0o644})
    return true
  } catch (error) {
    logger.error(`opening pid file '${options.pidFile}' failed: ${errnoText(error)}`, 'nc.ts')
    return false
  }
}

/** Serves the pools here, or with --workers in N processes; undefined (logged) when they cannot start. */
async function startPools(options: ProxyCliOptions, config: NutcrackerConfig, logger: Logger): Promise<Serving | undefined> {
  if (options.workers > 1) {
    const {runPrimary} = await import('./workers.js')
    const primary = await runPrimary(options, config, logger)
    if (primary === null) return undefined
    return {collect: primary.collect, stop: primary.stop, livePools: () => undefined, reload: () => forwardToWorkers('SIGUSR1')}
  }
  await loadBackendsFor(config)
  let proxy: Proxy
  try {
    proxy = new Proxy(config, {limits: options.limits, logger, mbufSize: options.mbufSize, makeRouter: keyPlacerRouter})
  } catch (error) {
    // a tls_* file that cannot be read, named with its pool and key
    if (!(error instanceof TlsFileError)) throw error
    logger.error(error.message, 'proxy.ts')
    return undefined
  }
  if (config.pools.some((pool) => fallbackServersOf(pool) !== undefined)) (await import('../reload/reload.js')).applyStartupFallbacks(proxy)
  try {
    await proxy.start()
  } catch (error) {
    logger.error(`bind on pool to addr failed: ${errnoText(error)} (${(error as Error).message})`, 'proxy.ts')
    return undefined
  }
  return {
    collect: () => snapshot(proxy.stats),
    livePools: () => proxy.stats,
    stop: () => proxy.close(),
    reload: () => void import('../reload/reload.js').then(({reloadProxy}) => reloadProxy(proxy, options.confFile, logger)),
  }
}

/** -s/-a: the stats port; undefined (logged) when it cannot bind. */
async function startStats(options: ProxyCliOptions, serving: Serving, startedAt: number, logger: Logger): Promise<StatsServer | undefined> {
  const stats = new StatsServer(serving.collect, startedAt)
  try {
    await stats.listen(options.statsAddr, options.statsPort)
  } catch (error) {
    logger.error(`bind on m ${options.statsPort} to addr '${options.statsAddr}:${options.statsPort}' failed: ${errnoText(error)}`, 'stats.ts')
    return undefined
  }
  logger.notice(`m listening on '${options.statsAddr}:${options.statsPort}'`, 'stats.ts')
  return stats
}

/** Stops whatever was started, then removes the pid file. */
async function cleanUp(started: Started): Promise<void> {
  await Promise.all([started.stats?.close(), started.metrics?.close(), started.stop?.()])
  if (started.pidFile === undefined) return
  try {
    unlinkSync(started.pidFile)
  } catch {
    // already gone
  }
}

/**
 * SIGHUP reopens the log, SIGTTIN/SIGTTOU raise and lower its level (passed on to workers), SIGUSR2
 * is only logged, SIGSEGV logs the stack and dies by the signal; SIGPIPE is ignored. Each is
 * logged as nutcracker's signal handler logs it.
 */
function followLogSignals(logger: Logger): void {
  process.on('SIGHUP', () => {
    logger.safe('signal 1 (SIGHUP) received, reopening log file')
    logger.reopen()
    forwardToWorkers('SIGHUP')
  })
  process.on('SIGTTIN', () => {
    logger.safe('signal 21 (SIGTTIN) received, up logging level')
    logger.raise()
    forwardToWorkers('SIGTTIN')
  })
  process.on('SIGTTOU', () => {
    logger.safe('signal 22 (SIGTTOU) received, down logging level')
    logger.lower()
    forwardToWorkers('SIGTTOU')
  })
  process.on('SIGUSR2', () => logger.safe('signal 12 (SIGUSR2) received'))
  process.on('SIGSEGV', () => {
    for (const frame of (new Error().stack ?? '').split('\n').slice(1)) logger.raw(frame.trim())
    logger.safe('signal 11 (SIGSEGV) received, core dumping')
    process.removeAllListeners('SIGSEGV')
    process.kill(process.pid, 'SIGSEGV')
  })
  process.on('SIGPIPE', () => {})
}

/** Serves until SIGINT (exit 1, as nutcracker) or SIGTERM (exit 0); SIGUSR1 reloads the configuration meanwhile. */
function untilShutdown(options: ProxyCliOptions, logger: Logger, serving: Serving): Promise<Ending> {
  process.on('SIGUSR1', () => {
    logger.safe(`signal 10 (SIGUSR1) received, reloading '${options.confFile}'`)
    serving.reload()
  })
  return new Promise<Ending>((resolve) => {
    const shutdown = (signal: NodeJS.Signals) => {
      logger.safe(`signal ${signal === 'SIGINT' ? 2 : 15} (${signal}) received, exiting`)
      resolve({code: signal === 'SIGINT' ? 1 : 0, signalled: true})
    }
    process.once('SIGINT', shutdown)
    process.once('SIGTERM', shutdown)
  })
}

/** --metrics: the Prometheus endpoint; undefined when not asked for, null when it cannot bind. */
async function startMetrics(options: ProxyCliOptions, collect: () => Promise<StatsSnapshot> | StatsSnapshot, pools: () => PoolStats[] | undefined, startedAt: number, logger: Logger): Promise<MetricsServer | undefined | null> {
  if (options.metrics === undefined) return undefined
  const {host, port} = options.metrics
  const {MetricsServer, renderMetrics} = await import('../stats/metrics.js')
  const server = new MetricsServer(async () => renderMetrics(await collect(), startedAt, pools()))
  try {
    await server.listen(host, port)
  } catch (error) {
    logger.error(`bind on metrics to addr '${host}:${port}' failed: ${errnoText(error)}`, 'metrics.ts')
    return null
  }
  logger.notice(`metrics listening on 'http://${host}:${port}/metrics'`, 'metrics.ts')
  return server
}

function forwardToWorkers(signal: NodeJS.Signals): void {
  if (!cluster.isPrimary || cluster.workers === undefined) return
  for (const worker of Object.values(cluster.workers)) worker?.process.kill(signal)
}

/** -d: Node cannot fork, so the daemon is this program again, detached, with stdio on /dev/null. */
async function daemonize(): Promise<number> {
  const {spawn} = await import('node:child_process')
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    detached: true,
    stdio: 'ignore',
    env: {...process.env, [DAEMON_ENV]: '1'},
  })
  child.unref()
  return 0
}
