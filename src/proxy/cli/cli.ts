// twproxy's entry: nutcracker's command line and life cycle. Options errors print the message and
// the usage (exit 1); -h/-V/-D print and exit 0; -t checks the configuration; otherwise the log is
// opened, the process daemonizes (-d), writes its pid file (-p), loads the configuration and
// serves every pool until SIGINT/SIGTERM.
import {spawn} from 'node:child_process'
import cluster from 'node:cluster'
import {unlinkSync, writeFileSync} from 'node:fs'
import {release} from 'node:os'
import {checkConfigFile, formatProblem, nutcrackerTestOutput, syntaxLine} from '../../config/index.js'
import type {NutcrackerConfig} from '../../config/types.js'
import {errnoText} from '../io/errno.js'
import {Logger} from './log.js'
import {parseProxyArgs, type ProxyCliOptions, TWPROXY_USAGE, USAGE, VERSION_BANNER} from './options.js'
import {Proxy} from '../proxy.js'
import {applyStartupFallbacks, reloadProxy} from '../reload/reload.js'
import {enableLatency} from '../stats/latency.js'
import {MetricsServer, renderMetrics} from '../stats/metrics.js'
import {keyPlacerRouter} from '../server/routing.js'
import {describeStats, type PoolStats, snapshot, type StatsSnapshot, sumSnapshots} from '../stats/stats.js'
import {StatsServer} from '../stats/stats-server.js'
import {runPrimary, runWorker} from './workers.js'

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
  if (cluster.isWorker) return runWorker(options, await loadOrNull(options, new Logger(options.verbosity, options.output)))
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

async function run(options: ProxyCliOptions): Promise<number> {
  const logger = new Logger(options.verbosity, options.output === '-' ? undefined : options.output)
  try {
    logger.open()
  } catch (error) {
    process.stderr.write(`opening log file '${options.output}' failed: ${errnoText(error)}\n`)
    return 1
  }
  if (options.daemonize && process.env[DAEMON_ENV] !== '1') return daemonize()
  logger.always(`nutcracker-0.5.0 built for Linux ${release()} ${process.arch === 'x64' ? 'x86_64' : process.arch} started on pid ${process.pid}`, 'nc.ts')
  logger.always("run, rabbit run / dig that hole, forget the sun / and when at last the work is done / don't sit down / it's time to dig another one", 'nc.ts')
  const done = (code: number) => {
    logger.always('done, rabbit done', 'nc.ts')
    logger.close()
    return code
  }
  if (options.pidFile !== undefined) {
    try {
      writeFileSync(options.pidFile, `${process.pid}\n`, {mode: 0o644})
    } catch (error) {
      logger.error(`opening pid file '${options.pidFile}' failed: ${errnoText(error)}`, 'nc.ts')
      return done(1)
    }
  }
  const removePidFile = () => {
    if (options.pidFile === undefined) return
    try {
      unlinkSync(options.pidFile)
    } catch {
      // already gone
    }
  }
  const config = await loadOrNull(options, logger)
  if (config === null) {
    process.stderr.write(`${syntaxLine(options.confFile, false)}\n`)
    removePidFile()
    return done(1)
  }
  const startedAt = Date.now()
  if (options.metrics !== undefined) enableLatency()
  let collect: () => Promise<StatsSnapshot> | StatsSnapshot
  let stop: () => Promise<void>
  let reload: () => void = () => forwardToWorkers('SIGUSR1')
  let livePools: () => PoolStats[] | undefined = () => undefined
  if (options.workers > 1) {
    const primary = await runPrimary(options, config, logger)
    if (primary === null) {
      removePidFile()
      return done(1)
    }
    collect = primary.collect
    stop = primary.stop
  } else {
    const proxy = new Proxy(config, {limits: options.limits, logger, mbufSize: options.mbufSize, makeRouter: keyPlacerRouter})
    applyStartupFallbacks(proxy)
    try {
      await proxy.start()
    } catch (error) {
      logger.error(`bind on pool to addr failed: ${errnoText(error)} (${(error as Error).message})`, 'proxy.ts')
      removePidFile()
      return done(1)
    }
    collect = () => snapshot(proxy.stats)
    livePools = () => proxy.stats
    stop = () => proxy.close()
    reload = () => void reloadProxy(proxy, options.confFile, logger)
  }
  const stats = new StatsServer(collect, startedAt)
  try {
    await stats.listen(options.statsAddr, options.statsPort)
  } catch (error) {
    logger.error(`bind on m ${options.statsPort} to addr '${options.statsAddr}:${options.statsPort}' failed: ${errnoText(error)}`, 'stats.ts')
    await stop()
    removePidFile()
    return done(1)
  }
  logger.notice(`m listening on '${options.statsAddr}:${options.statsPort}'`, 'stats.ts')
  const metrics = await startMetrics(options, collect, livePools, startedAt, logger)
  if (metrics === null) {
    await Promise.all([stats.close(), stop()])
    removePidFile()
    return done(1)
  }
  return new Promise<number>((resolve) => {
    const shutdown = (signal: NodeJS.Signals) => {
      logger.notice(`signal ${signal === 'SIGINT' ? 2 : 15} (${signal}) received, exiting`, 'signal.ts')
      void Promise.all([stats.close(), metrics?.close(), stop()]).finally(() => {
        removePidFile()
        resolve(done(signal === 'SIGINT' ? 1 : 0))
        // sockets still closing must not keep a stopped proxy alive
        setImmediate(() => process.exit(signal === 'SIGINT' ? 1 : 0)).unref()
      })
    }
    process.once('SIGINT', shutdown)
    process.once('SIGTERM', shutdown)
    process.on('SIGHUP', () => {
      logger.notice('signal 1 (SIGHUP) received, reopening log file', 'signal.ts')
      logger.reopen()
      forwardToWorkers('SIGHUP')
    })
    process.on('SIGTTIN', () => {
      logger.raise()
      forwardToWorkers('SIGTTIN')
    })
    process.on('SIGTTOU', () => {
      logger.lower()
      forwardToWorkers('SIGTTOU')
    })
    process.on('SIGPIPE', () => {})
    process.on('SIGUSR1', () => {
      logger.notice(`signal 10 (SIGUSR1) received, reloading '${options.confFile}'`, 'signal.ts')
      reload()
    })
  })
}

/** --metrics: the Prometheus endpoint; undefined when not asked for, null when it cannot bind. */
async function startMetrics(options: ProxyCliOptions, collect: () => Promise<StatsSnapshot> | StatsSnapshot, pools: () => PoolStats[] | undefined, startedAt: number, logger: Logger): Promise<MetricsServer | undefined | null> {
  if (options.metrics === undefined) return undefined
  const {host, port} = options.metrics
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
function daemonize(): number {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    detached: true,
    stdio: 'ignore',
    env: {...process.env, [DAEMON_ENV]: '1'},
  })
  child.unref()
  return 0
}

export {sumSnapshots}
