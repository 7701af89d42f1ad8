import {Flags} from '@oclif/core'
import {exitWhenDone} from '../../src/cli/exit-when-done.js'
import {BaseCommand} from '../../src/cli/base-command.js'
import {onInterrupt} from '../../src/cli/interrupt.js'
import {migrateSourceFlags, sourceOptionsOf, withBareToCluster} from '../../src/cli/migrate-flags.js'
import {ProgressReporter} from '../../src/cli/migrate-progress.js'
import {renderMigration, renderPlan} from '../../src/cli/migrate-report.js'
import {UserError} from '../../src/errors.js'
import {openAnyMigration, prepareMigration} from '../../src/migrate/session.js'
import type {CaptureMode} from '../../src/migrate/changes/change-capture.js'
import type {ExistingKeyPolicy} from '../../src/migrate/target/writer.js'
import {NEW_LAB_CLUSTER, sourceLabOf, targetLabName} from '../../src/migrate/target/target-lab.js'
import {isRunning, readState} from '../../src/lab/state.js'

/** The lab a bare --to-cluster would create now (it does not run yet), or undefined. */
function labToCreate(flags: {'to-cluster'?: string; lab?: string; config?: string; from?: string}): string | undefined {
  if (flags['to-cluster'] !== NEW_LAB_CLUSTER) return undefined
  const source = sourceLabOf(flags)
  if (!source || source.topology === 'cluster') return undefined
  const name = targetLabName(source)
  const existing = readState(name)
  return existing && isRunning(existing) ? undefined : name
}

const CUTOVER = 'CUT-OVER'
export default class Migrate extends BaseCommand {
  static override summary = 'Copy every key of a twemproxy pool, standalone servers, a Redis Cluster, a Sentinel group or RDB files into a Redis Cluster (or a cluster back into a pool), optionally online, resumable, verified.'

  static override description = `Plans first (keys and bytes per source, big keys, cross-slot risks, target headroom; --dry-run stops there), then copies: every source is SCANned in parallel, keys are read with DUMP and their absolute expiry and written with RESTORE ... ABSTTL to the node owning their slot, following MOVED/ASK/TRYAGAIN and failovers. Keys over --big-key-bytes are rebuilt in chunks under a same-slot temporary name and swapped in with RENAME. With --online, twlab follows every source as a replica (its RDB snapshot replaces the scan, then its command stream is applied in order per key), or where a source refuses PSYNC (or with --capture notifications) keyspace notifications are followed from before the scan and every changed key is copied again (deletes and expiries too); either way until the sources are quiet for --quiet-for seconds (or Ctrl-C). A checkpoint is saved as it goes: Ctrl-C or a crash, then --resume. At the end every key is verified both ways; keys that changed during the copy are copied again and re-checked (online, a key still changing is left to the change feed, not reported).

Other sources: --from-cluster HOST:PORT reads every master of a cluster (slots being moved are copied apart, from the node they move from, then to); --from-sentinel HOST:PORT --master NAME reads the group's master and, when Sentinel fails it over mid-copy, reads the new master again from the start; --from-rdb FILE... restores backups straight into the cluster with no server started (--db N picks the database, expired keys are skipped, function libraries are reported, loaded with --load-functions). The way back: --from-cluster HOST:PORT --to-pool with -c nutcracker.yml or --lab NAME copies a cluster into the pool's servers, each key where the pool's hashing places it.

From a lab (--lab NAME, or the only running lab), --to-cluster with no address creates the target: a lab cluster named <lab>-cluster (--masters, --replicas, --base-port, as twlab up --cluster), and migrates into it. It asks first (on a terminal; otherwise it needs --yes).

--cutover (implies --online) then switches the pool's twproxy to the cluster: once the change feed's lag is near zero and verify is clean, writes are paused on the sources (CLIENT PAUSE WRITE, lifted by Redis after --pause-limit ms at the latest), the last changes are copied and compared, the pool's servers: in twproxy's file becomes cluster: [the masters] (atomic, FILE.bak kept), twproxy reloads (SIGUSR1) and shows the masters in its stats, and writes resume. How long writes paused is printed. Any failure before that puts the file back, reloads twproxy and resumes writes. With -c FILE, name the twproxy with --proxy-pid (and --proxy-stats). nutcracker cannot be cut over.`

  static override examples = [
    '<%= config.bin %> migrate --from 127.0.0.1:6379,127.0.0.1:6380 --to-cluster 127.0.0.1:7000 --dry-run',
    '<%= config.bin %> migrate --from 127.0.0.1:6379,127.0.0.1:6380 --to-cluster 127.0.0.1:7000 --online',
    '<%= config.bin %> migrate --from 127.0.0.1:6379,127.0.0.1:6380 --to-cluster 127.0.0.1:7000 --resume',
    '<%= config.bin %> migrate --lab shop --to-cluster --cutover',
    '<%= config.bin %> migrate --from-cluster 127.0.0.1:7000 --to-cluster 127.0.0.1:8000 --online',
    '<%= config.bin %> migrate --from-sentinel 127.0.0.1:26379 --master mymaster --to-cluster 127.0.0.1:7000',
    '<%= config.bin %> migrate --from-rdb backup/dump.rdb --db 0 --to-cluster 127.0.0.1:7000',
    '<%= config.bin %> migrate --from-cluster 127.0.0.1:7000 --to-pool -c nutcracker.yml',
    '<%= config.bin %> migrate -c nutcracker.yml --to-cluster 127.0.0.1:7000 --cutover --proxy-pid 4242 --proxy-stats 127.0.0.1:22222',
  ]

  static override flags = {
    ...BaseCommand.yesFlag,
    ...migrateSourceFlags,
    'to-cluster': Flags.string({description: 'a node of the target Redis Cluster, HOST:PORT; with no address (from a lab), a new lab cluster <lab>-cluster', exclusive: ['to-pool']}),
    'to-pool': Flags.boolean({description: 'the way back: copy the --from-cluster cluster into the pool of -c or --lab, placed by its hashing', default: false}),
    'load-functions': Flags.boolean({description: 'with --from-rdb: load the files\' function libraries on every target master', default: false}),
    masters: Flags.integer({description: '--to-cluster with no address: masters of the new lab cluster', default: 3, min: 3, max: 50}),
    replicas: Flags.integer({description: '--to-cluster with no address: replicas per master of the new lab cluster', default: 1, min: 0, max: 5}),
    'base-port': Flags.integer({description: '--to-cluster with no address: first port of the new lab cluster (default: the first free block, as twlab up)'}),
    'dry-run': Flags.boolean({description: 'show the plan and stop', default: false}),
    online: Flags.boolean({description: 'follow changes made on the sources during the copy', default: false}),
    capture: Flags.string({description: 'online: how changes are followed: as a replica of each source (snapshot, then its command stream) or by keyspace notifications; default: replication where the sources allow PSYNC, else notifications', options: ['replication', 'notifications']}),
    'quiet-for': Flags.integer({description: 'online: stop following once no change arrived for this many seconds', default: 5, min: 0}),
    'on-conflict': Flags.string({description: 'a key already on the target with another value', options: ['fail', 'skip', 'replace'], default: 'fail'}),
    resume: Flags.boolean({description: 'continue a stopped migration from its checkpoint', default: false, exclusive: ['restart']}),
    restart: Flags.boolean({description: 'discard an unfinished migration\'s checkpoint and start over', default: false}),
    checkpoint: Flags.string({description: 'checkpoint file (default: $TWLAB_HOME/migrate/migrate-<id>.json, one per sources and target, found by --resume from any directory)'}),
    verify: Flags.boolean({description: 'verify every key at the end', default: true, allowNo: true}),
    'ttl-tolerance': Flags.integer({description: 'verify: expiries this many ms apart still match', default: 1000, min: 0}),
    'big-key-bytes': Flags.integer({description: 'keys whose DUMP is larger are copied in chunks', default: 8 * 1024 * 1024, min: 1}),
    'chunk-elements': Flags.integer({description: 'elements per chunk when copying a big key', default: 1000, min: 1}),
    'scan-count': Flags.integer({description: 'SCAN COUNT (keys per page)', default: 1000, min: 1}),
    'plan-sample': Flags.integer({description: 'keys per source measured by the plan (0: every key)', default: 1000, min: 0}),
    cutover: Flags.boolean({description: 'at the end, switch the pool\'s twproxy to the cluster with a short write pause (implies --online)', default: false, helpGroup: CUTOVER}),
    'proxy-pid': Flags.integer({description: 'with -c: pid of the twproxy running that file', dependsOn: ['config'], helpGroup: CUTOVER}),
    'proxy-stats': Flags.string({description: 'with -c: that twproxy\'s stats address, HOST:PORT (default: its -s/-a, else 127.0.0.1:22222)', dependsOn: ['config'], helpGroup: CUTOVER}),
    'pause-limit': Flags.integer({description: 'longest write pause in ms (CLIENT PAUSE timeout: lifted by Redis even if twlab dies)', default: 30_000, min: 5000, helpGroup: CUTOVER}),
    'switch-timeout': Flags.integer({description: 'seconds twproxy gets to switch after SIGUSR1 before the cut-over is undone', default: 10, min: 1, helpGroup: CUTOVER}),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(Migrate, withBareToCluster(this.argv))
    const creating = labToCreate(flags)
    if (creating) {
      const nodes = flags.masters * (1 + flags.replicas)
      const where = flags['base-port'] === undefined ? 'on the first free ports' : `from port ${flags['base-port']}`
      const question = `Create lab "${creating}": a Redis Cluster of ${flags.masters} masters with ${flags.replicas} replica(s) each (${nodes} redis-server processes ${where}) to migrate into?`
      if (!(await this.confirmOrRefuse(question, flags.yes))) throw new UserError('Nothing was done: run again and confirm, or give --to-cluster HOST:PORT.')
    }
    const prepared = await prepareMigration({
      source: sourceOptionsOf(flags),
      toCluster: flags['to-cluster'],
      toPool: flags['to-pool'],
      loadFunctions: flags['load-functions'],
      newLab: {masters: flags.masters, replicas: flags.replicas, basePort: flags['base-port']},
      dryRun: flags['dry-run'],
      online: flags.online,
      capture: flags.capture as CaptureMode | undefined,
      quietForMs: flags['quiet-for'] * 1000,
      cutover: flags.cutover,
      proxyPid: flags['proxy-pid'],
      proxyStats: flags['proxy-stats'],
      pauseLimitMs: flags['pause-limit'],
      switchTimeoutMs: flags['switch-timeout'] * 1000,
      onConflict: flags['on-conflict'] as ExistingKeyPolicy,
      resume: flags.resume,
      restart: flags.restart,
      checkpoint: flags.checkpoint,
      verify: flags.verify,
      ttlToleranceMs: flags['ttl-tolerance'],
      bigKeyBytes: flags['big-key-bytes'],
      chunkElements: flags['chunk-elements'],
      scanCount: flags['scan-count'],
      planSample: flags['plan-sample'],
    })
    const proxy = prepared.cutoverProxy
    if (proxy && !flags['dry-run']) {
      const question = `At the end, writes to the pool pause for a moment and ${proxy.description} is switched to the cluster (${proxy.configFile} is rewritten, a backup kept).`
      if (!(await this.confirmOrRefuse(question, flags.yes))) throw new UserError('Nothing was done: run again and confirm, or migrate without --cutover.')
    }
    const session = await openAnyMigration(prepared, (message) => this.note(message))
    const stop = onInterrupt(() => this.note('Stopping after the keys in flight (Ctrl-C again to quit at once)...'))
    try {
      this.note(`Planning: ${session.sourcesDescription} -> ${session.targetDescription}`)
      const plan = await session.plan()
      if (!this.jsonEnabled()) this.log(renderPlan(plan))
      if (flags['dry-run']) return {plan, dryRun: true}
      if (flags['on-conflict'] === 'replace' && !(await this.confirmOrRefuse('--on-conflict replace overwrites keys that already exist on the target cluster.', flags.yes))) {
        throw new UserError('Nothing was copied: run again and confirm, or choose --on-conflict skip or fail.')
      }
      const result = await session.run({progress: ProgressReporter.forStderr(this.jsonEnabled()), stopRequested: stop.stopRequested})
      if (result.status === 'interrupted') this.note(renderMigration(result))
      else if (!this.jsonEnabled()) this.log(renderMigration(result))
      if (result.status === 'interrupted') process.exitCode = 130
      if (result.status === 'mismatches') process.exitCode = 1
      return {plan, migration: result, ...(session.targetLab ? {targetLab: session.targetLab} : {}), target: session.targetAddress}
    } finally {
      stop.remove()
      await session.close()
      exitWhenDone()
    }
  }
}
