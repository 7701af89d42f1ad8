import {Flags} from '@oclif/core'
import {BaseCommand} from '../../src/ui/base-command.js'
import {UserError} from '../../src/ui/errors.js'
import {checkpointExists, defaultCheckpointPath} from '../../src/migrate/checkpoint.js'
import {openEndpoints} from '../../src/migrate/endpoints.js'
import {runMigration} from '../../src/migrate/migration.js'
import {planMigration} from '../../src/migrate/plan.js'
import {ProgressReporter} from '../../src/migrate/progress.js'
import {renderMigration, renderPlan} from '../../src/migrate/report.js'
import {sourceFlags} from '../../src/migrate/source-options.js'
import {ConflictError, type ConflictPolicy} from '../../src/migrate/writer.js'

export default class Migrate extends BaseCommand {
  static override summary = 'Copy every key of a twemproxy pool (or of standalone servers) into a Redis Cluster, optionally online, resumable, verified.'

  static override description = `Plans first (keys and bytes per source, big keys, cross-slot risks, target headroom; --dry-run stops there), then copies: every source is SCANned in parallel, keys are read with DUMP and their absolute expiry and written with RESTORE ... ABSTTL to the node owning their slot, following MOVED/ASK/TRYAGAIN and failovers. Keys over --big-key-bytes are rebuilt in chunks under a same-slot temporary name and swapped in with RENAME. With --online, keyspace notifications are followed from before the scan and every changed key is copied again (deletes and expiries too) until the sources are quiet for --quiet-for seconds (or Ctrl-C). A checkpoint is saved as it goes: Ctrl-C or a crash, then --resume. At the end every key is verified both ways; keys that changed during the copy are copied again and re-checked. Cut-over of a twproxy pool to the cluster is not available yet.`

  static override examples = [
    '<%= config.bin %> migrate --from 127.0.0.1:6379,127.0.0.1:6380 --to-cluster 127.0.0.1:7000 --dry-run',
    '<%= config.bin %> migrate --from 127.0.0.1:6379,127.0.0.1:6380 --to-cluster 127.0.0.1:7000 --online',
    '<%= config.bin %> migrate --from 127.0.0.1:6379,127.0.0.1:6380 --to-cluster 127.0.0.1:7000 --resume',
  ]

  static override flags = {
    ...BaseCommand.yesFlag,
    ...sourceFlags,
    'to-cluster': Flags.string({description: 'a node of the target Redis Cluster, HOST:PORT', required: true}),
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
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(Migrate)
    const onConflict = flags['on-conflict'] as ConflictPolicy
    const {sources, target, targetAddress} = await openEndpoints(flags)
    const stopHandlers = installStopHandlers(() => this.note('Stopping after the keys in flight (Ctrl-C again to quit at once)...'))
    try {
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
      if (onConflict === 'replace') {
        await this.confirmOrRefuse('--on-conflict replace overwrites keys that already exist on the target cluster.', flags.yes)
      }
      const result = await runMigration(sources, target, {
        write: {onConflict, bigKeyBytes: flags['big-key-bytes'], chunk: {elements: flags['chunk-elements'], bytes: 1 << 20}},
        scanCount: flags['scan-count'],
        window: 4,
        online: flags.online,
        quietMs: flags['quiet-for'] * 1000,
        checkpointPath,
        resume: flags.resume,
        verify: flags.verify,
        ttlToleranceMs: flags['ttl-tolerance'],
        progress: ProgressReporter.forStderr(this.jsonEnabled()),
        stopRequested: stopHandlers.stopRequested,
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
      return {plan, migration: result}
    } finally {
      stopHandlers.remove()
      await Promise.allSettled([sources.close(), target.close()])
    }
  }
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
