import {Flags} from '@oclif/core'
import {BaseCommand} from '../../src/cli/base-command.js'
import {UserError} from '../../src/errors.js'
import {checkpointExists, defaultCheckpointPath} from '../../src/migrate/checkpoint.js'
import {checkCutoverProxy, checkCutoverSources} from '../../src/migrate/cutover/cutover.js'
import {cutoverProxyOfConfig, cutoverProxyOfLab, type CutoverProxy} from '../../src/migrate/cutover/cutover-proxy.js'
import {openEndpoints} from '../../src/migrate/endpoints.js'
import {runMigration} from '../../src/migrate/migration.js'
import {planMigration} from '../../src/migrate/plan.js'
import {ProgressReporter} from '../../src/cli/migrate-progress.js'
import {renderMigration, renderPlan} from '../../src/cli/migrate-report.js'
import {sourceFlags} from '../../src/migrate/source/source-options.js'
import type {ClusterTarget} from '../../src/migrate/target/cluster-target.js'
import {ensureTargetLab, existingTargetLab, NEW_LAB_CLUSTER, sourceLabOf, withBareToCluster} from '../../src/migrate/target/target-lab.js'
import {ConflictError, type ConflictPolicy} from '../../src/migrate/target/writer.js'

const CUTOVER = 'CUT-OVER'
export default class Migrate extends BaseCommand {
  static override summary = 'Copy every key of a twemproxy pool (or of standalone servers) into a Redis Cluster, optionally online, resumable, verified.'

  static override description = `Plans first (keys and bytes per source, big keys, cross-slot risks, target headroom; --dry-run stops there), then copies: every source is SCANned in parallel, keys are read with DUMP and their absolute expiry and written with RESTORE ... ABSTTL to the node owning their slot, following MOVED/ASK/TRYAGAIN and failovers. Keys over --big-key-bytes are rebuilt in chunks under a same-slot temporary name and swapped in with RENAME. With --online, keyspace notifications are followed from before the scan and every changed key is copied again (deletes and expiries too) until the sources are quiet for --quiet-for seconds (or Ctrl-C). A checkpoint is saved as it goes: Ctrl-C or a crash, then --resume. At the end every key is verified both ways; keys that changed during the copy are copied again and re-checked (online, a key still changing is left to the change feed, not reported).

From a lab (--lab NAME, or the only running lab), --to-cluster with no address creates the target: a lab cluster named <lab>-cluster (--masters, --replicas, as twlab up --cluster), and migrates into it.

--cutover (implies --online) then switches the pool's twproxy to the cluster: once the change feed's lag is near zero and verify is clean, writes are paused on the sources (CLIENT PAUSE WRITE, lifted by Redis after --pause-limit ms at the latest), the last changes are copied and compared, the pool's servers: in twproxy's file becomes cluster: [the masters] (atomic, FILE.bak kept), twproxy reloads (SIGUSR1) and shows the masters in its stats, and writes resume. How long writes paused is printed. Any failure before that puts the file back, reloads twproxy and resumes writes. With -c FILE, name the twproxy with --proxy-pid (and --proxy-stats). nutcracker cannot be cut over.`

  static override examples = [
    '<%= config.bin %> migrate --from 127.0.0.1:6379,127.0.0.1:6380 --to-cluster 127.0.0.1:7000 --dry-run',
    '<%= config.bin %> migrate --from 127.0.0.1:6379,127.0.0.1:6380 --to-cluster 127.0.0.1:7000 --online',
    '<%= config.bin %> migrate --from 127.0.0.1:6379,127.0.0.1:6380 --to-cluster 127.0.0.1:7000 --resume',
    '<%= config.bin %> migrate --lab shop --to-cluster --cutover',
    '<%= config.bin %> migrate -c nutcracker.yml --to-cluster 127.0.0.1:7000 --cutover --proxy-pid 4242 --proxy-stats 127.0.0.1:22222',
  ]

  static override flags = {
    ...BaseCommand.yesFlag,
    ...sourceFlags,
    'to-cluster': Flags.string({description: 'a node of the target Redis Cluster, HOST:PORT; with no address (from a lab), a new lab cluster <lab>-cluster', required: true}),
    masters: Flags.integer({description: '--to-cluster with no address: masters of the new lab cluster', default: 3, min: 3, max: 50}),
    replicas: Flags.integer({description: '--to-cluster with no address: replicas per master of the new lab cluster', default: 1, min: 0, max: 5}),
    'dry-run': Flags.boolean({description: 'show the plan and stop', default: false}),
    online: Flags.boolean({description: 'follow changes made on the sources during the copy', default: false}),
    'quiet-for': Flags.integer({description: 'online: stop following once no change arrived for this many seconds', default: 5, min: 0}),
    'on-conflict': Flags.string({description: 'a key already on the target with another value', options: ['fail', 'skip', 'replace'], default: 'fail'}),
    resume: Flags.boolean({description: 'continue a stopped migration from its checkpoint', default: false, exclusive: ['restart']}),
    restart: Flags.boolean({description: 'discard an unfinished migration\'s checkpoint and start over', default: false}),
    checkpoint: Flags.string({description: 'checkpoint file (default: .twlab/migrate-<id>.json in the current directory)'}),
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
    const onConflict = flags['on-conflict'] as ConflictPolicy
    const online = flags.online || flags.cutover
    if (flags['switch-timeout'] * 1000 + 5000 > flags['pause-limit']) {
      throw new UserError(`--pause-limit ${flags['pause-limit']} ms leaves no room for --switch-timeout ${flags['switch-timeout']} s: make it at least ${flags['switch-timeout'] * 1000 + 5000}.`)
    }
    if (flags.cutover && flags.from) {
      throw new UserError('--cutover switches the twproxy in front of a pool, and --from names bare servers: give the pool with --lab NAME, or -c nutcracker.yml --proxy-pid PID.')
    }
    const sourceLab = sourceLabOf(flags)
    let cutoverProxy: CutoverProxy | undefined
    if (flags.cutover) {
      cutoverProxy = sourceLab ? cutoverProxyOfLab(sourceLab) : await cutoverProxyOfConfig(flags)
      await checkCutoverProxy(cutoverProxy)
      const question = `At the end, writes to the pool pause for a moment and ${cutoverProxy.description} is switched to the cluster (${cutoverProxy.configFile} is rewritten, a backup kept).`
      if (!flags['dry-run'] && !(await this.confirmOrRefuse(question, flags.yes))) {
        throw new UserError('Nothing was done: run again and confirm, or migrate without --cutover.')
      }
    }
    let toCluster = flags['to-cluster']
    let newTargetLab: string | undefined
    let reusedTargetLab = false
    if (toCluster === NEW_LAB_CLUSTER) {
      if (!sourceLab) {
        throw new UserError('--to-cluster without an address creates a lab cluster, so the source must be a lab: give --lab NAME (or start one with twlab up), or give --to-cluster HOST:PORT.')
      }
      // a dry run starts nothing: it plans against the target lab only when one is running
      const lab = flags['dry-run']
        ? existingTargetLab(sourceLab, '--dry-run starts no processes')
        : await ensureTargetLab(sourceLab, {masters: flags.masters, replicas: flags.replicas, resume: flags.resume, note: (m) => this.note(m)})
      toCluster = lab.address.text
      newTargetLab = lab.name
      reusedTargetLab = !lab.created
    }
    // The source lab is pinned by name: a new target lab makes "the only running lab" ambiguous.
    const {sources, target, targetAddress} = await openEndpoints({...flags, ...(sourceLab ? {lab: sourceLab.name} : {}), 'to-cluster': toCluster})
    const stopHandlers = installStopHandlers(() => this.note('Stopping after the keys in flight (Ctrl-C again to quit at once)...'))
    try {
      if (flags.cutover) checkCutoverSources(sources.sources)
      if (reusedTargetLab && !flags.resume && !flags['dry-run'] && (await keysOn(target)) > 0) {
        throw new UserError(`The target lab "${newTargetLab}" already holds keys: continue its migration with --resume, or remove it with twlab destroy --name ${newTargetLab} --yes.`)
      }
      const addresses = sources.sources.map((s) => s.address.text)
      const checkpointPath = flags.checkpoint ?? defaultCheckpointPath(addresses, targetAddress.text)
      if (flags.resume && !checkpointExists(checkpointPath)) {
        throw new UserError(`There is no checkpoint to resume at ${checkpointPath}: run without --resume to start, or give --checkpoint.`)
      }
      if (!flags.resume && !flags.restart && !flags['dry-run'] && checkpointExists(checkpointPath)) {
        throw new UserError(`An unfinished migration of these sources has a checkpoint at ${checkpointPath}: pass --resume to continue it or --restart to start over.`)
      }
      this.note(`Planning: ${sources.description} -> cluster ${targetAddress.text}`)
      const plan = await planMigration(sources, target, {
        sample: flags['plan-sample'] === 0 ? Infinity : flags['plan-sample'],
        bigKeyBytes: flags['big-key-bytes'],
        scanCount: flags['scan-count'],
      })
      if (!this.jsonEnabled()) this.log(renderPlan(plan))
      if (flags['dry-run']) return {plan, dryRun: true}
      if (onConflict === 'replace' && !(await this.confirmOrRefuse('--on-conflict replace overwrites keys that already exist on the target cluster.', flags.yes))) {
        throw new UserError('Nothing was copied: run again and confirm, or choose --on-conflict skip or fail.')
      }
      const result = await runMigration(sources, target, {
        write: {onConflict, bigKeyBytes: flags['big-key-bytes'], chunk: {elements: flags['chunk-elements'], bytes: 1 << 20}},
        scanCount: flags['scan-count'],
        window: 4,
        online,
        quietMs: flags['quiet-for'] * 1000,
        checkpointPath,
        resume: flags.resume,
        verify: flags.verify,
        ttlToleranceMs: flags['ttl-tolerance'],
        progress: ProgressReporter.forStderr(this.jsonEnabled()),
        stopRequested: stopHandlers.stopRequested,
        cutover: cutoverProxy && {proxy: cutoverProxy, pauseLimitMs: flags['pause-limit'], switchTimeoutMs: flags['switch-timeout'] * 1000},
      }).catch((error: unknown) => {
        if (error instanceof ConflictError) {
          throw new UserError(`${error.message}: nothing was overwritten.`, {
            hint: `Choose --on-conflict skip (keep the target's values) or --on-conflict replace, then run again with --resume (checkpoint ${checkpointPath}).`,
          })
        }
        throw error
      })
      if (result.status === 'interrupted') this.note(renderMigration(result))
      else if (!this.jsonEnabled()) this.log(renderMigration(result))
      if (result.status === 'interrupted') process.exitCode = 130
      if (result.status === 'mismatches') process.exitCode = 1
      return {plan, migration: result, ...(newTargetLab ? {targetLab: newTargetLab} : {}), target: targetAddress.text}
    } finally {
      stopHandlers.remove()
      await Promise.allSettled([sources.close(), target.close()])
    }
  }
}

async function keysOn(target: ClusterTarget): Promise<number> {
  const sizes = await Promise.all(target.masters().map((node) => node.dbsize()))
  return sizes.reduce((a, b) => a + b, 0)
}

/** Ctrl-C (or SIGTERM) once: finish the keys in flight, save, exit resumable. Twice: quit now. */
function installStopHandlers(onFirst: () => void): {stopRequested: () => boolean; remove: () => void} {
  let requested = false
  const handler = () => {
    if (requested) process.exit(130)
    requested = true
    onFirst()
  }
  process.on('SIGINT', handler)
  process.on('SIGTERM', handler)
  return {
    stopRequested: () => requested,
    remove: () => {
      process.off('SIGINT', handler)
      process.off('SIGTERM', handler)
    },
  }
}
