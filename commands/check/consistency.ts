import {Flags} from '@oclif/core'
import {connectionFlags} from '../../src/cli/target-flags.js'
import {parseAddress, type Address} from '../../src/address.js'
import {BaseCommand} from '../../src/cli/base-command.js'
import {parseDuration} from '../../src/cli/duration.js'
import {UserError} from '../../src/errors.js'
import {renderTable} from '../../src/cli/table.js'
import {runConsistencyCheck, type ConsistencyReport} from '../../src/check/consistency.js'
import {labEndpoint, runningLab} from '../../src/lab/target.js'

/** The old boolean `--cluster` (followed by another flag or nothing) is dropped: cluster nodes are recognised. */
function withoutBareCluster(argv: string[]): string[] {
  return argv.filter((arg, i) => !(arg === '--cluster' && (i + 1 >= argv.length || argv[i + 1].startsWith('-'))))
}

/** --target or --cluster as HOST:PORT; a bare port (or ":port") means this machine. */
function parseTarget(text: string, what: string): Address {
  return parseAddress(text, {what, example: '127.0.0.1:21000', defaultHost: '127.0.0.1'})
}

function progressLine(report: ConsistencyReport): string {
  return `${(report.elapsedMs / 1000).toFixed(0)}s: ${report.reads} R (${report.failedReads} err) | ${report.writes} W (${report.failedWrites} err) | ${report.lostWrites} lost | ${report.notAckWrites} noack`
}

export default class CheckConsistency extends BaseCommand {
  static override summary = 'Write counters and read them back to find lost and unacknowledged writes.'
  static override description = 'INCRs counters while reading them back, as redis-rb-cluster\'s consistency-test does, for --duration over --keys counters. Lost writes (acknowledged, then gone) make it exit 1, and so does any MOVED or ASK reply (never a success). Works through twproxy/nutcracker (only GET, INCR, DEL), against a standalone redis, and against a cluster (a node given as --target or --cluster is recognised as one and followed through MOVED/ASK); --lab checks a lab through its proxy, or its cluster. Run it while you kill, pause or fail over nodes.'
  static override examples = [
    '<%= config.bin %> check consistency --lab demo --duration 30s',
    '<%= config.bin %> check consistency --target 127.0.0.1:21000 --duration 30s',
    '<%= config.bin %> check consistency --cluster 127.0.0.1:21010 --keys 5000 --json',
  ]

  static override flags = {
    target: Flags.string({description: 'HOST:PORT of the proxy, a redis, or any cluster node (recognised as one)', exclusive: ['cluster', 'lab'], helpValue: 'HOST:PORT'}),
    cluster: Flags.string({description: 'any node of a Redis Cluster, HOST:PORT', exclusive: ['target', 'lab'], helpValue: 'HOST:PORT'}),
    lab: Flags.string({description: 'a lab: through its proxy, or its cluster (default: the only running lab)', aliases: ['name'], exclusive: ['target', 'cluster'], helpValue: 'NAME'}),
    duration: Flags.string({description: 'how long to run (500ms, 30s, 2m)', default: '30s'}),
    keys: Flags.integer({description: 'number of counters', default: 1000}),
    password: Flags.string({description: 'AUTH password (default: the lab\'s)', env: 'TWLAB_PASSWORD'}),
    ...connectionFlags,
    concurrency: Flags.integer({description: 'parallel clients, each with its own share of the counters', default: 4}),
    timeout: Flags.string({description: 'per-command timeout', default: '1s'}),
    keep: Flags.boolean({description: 'keep the counters afterwards (deleted by default)'}),
  }

  async run(): Promise<Record<string, unknown>> {
    const {flags} = await this.parse(CheckConsistency, withoutBareCluster(this.argv))
    const endpoint = flags.target !== undefined ? {address: flags.target, what: '--target', cluster: undefined, password: undefined}
      : flags.cluster !== undefined ? {address: flags.cluster, what: '--cluster', cluster: true, password: undefined}
      : {...labEndpoint(runningLab(flags.lab)), what: '--lab'}
    const {host, port} = parseTarget(endpoint.address, endpoint.what)
    const password = flags.password ?? endpoint.password
    const durationMs = parseDuration(flags.duration, '--duration')
    if (flags.concurrency < 1 || flags.concurrency > 256) throw new UserError(`--concurrency ${flags.concurrency} is out of range: use 1 to 256.`)
    const controller = new AbortController()
    process.once('SIGINT', () => controller.abort())
    this.note(`Checking ${endpoint.cluster ? 'cluster ' : ''}${host}:${port} for ${durationMs / 1000} s over ${flags.keys} counters (Ctrl-C stops early)...`)
    const report = await runConsistencyCheck({
      host, port, cluster: endpoint.cluster, password, durationMs, keys: flags.keys,
      concurrency: flags.concurrency, commandTimeoutMs: parseDuration(flags.timeout, '--timeout'), keep: flags.keep,
      signal: controller.signal,
      onProgress: (snapshot) => this.note(progressLine(snapshot)),
    })
    this.log(renderTable(['reads', 'writes', 'failed reads', 'failed writes', 'lost writes', 'unacknowledged but applied'], [[
      report.reads, report.writes, report.failedReads, report.failedWrites, report.lostWrites, report.notAckWrites,
    ]]))
    for (const error of report.errors) this.log(`  ${error.count} x ${error.message}`)
    if (report.redirected > 0) {
      this.log(`${report.redirected} command(s) were answered MOVED or ASK: ${host}:${port} sends clients elsewhere, so this run proves nothing. Check the cluster with --cluster HOST:PORT.`)
      process.exitCode = 1
    }
    if (report.lostWrites > 0) {
      this.log(`LOST ${report.lostWrites} acknowledged writes (keys such as ${report.lostKeys.slice(0, 3).join(', ')}).`)
      process.exitCode = 1
    } else if (report.redirected === 0) {
      this.log(`No acknowledged write was lost in ${(report.elapsedMs / 1000).toFixed(1)} s.`)
    }
    // The report is out. Should a client socket to a dead node still linger in ioredis, it must
    // not hold the CLI open: exit soon (the timer itself keeps nothing alive).
    setTimeout(() => process.exit(), 2000).unref()
    return {...report}
  }
}
