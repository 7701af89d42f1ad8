import {targetFlags} from '../../src/cli/target-flags.js'
import {Flags} from '@oclif/core'
import {CONFLICT_POLICIES, type ConflictPolicy, type FixAction, fixMisplaced, type FixReport} from '../../src/keys/fix.js'
import {openTarget} from '../../src/lab/target.js'
import {BaseCommand} from '../../src/cli/base-command.js'
import {formatCount} from '../../src/cli/format.js'
import {progressBar} from '../../src/cli/progress-bar.js'
import {renderTable} from '../../src/cli/table.js'

const ACTION_TEXT: Record<FixAction, string> = {
  'move': 'moved to its owner',
  'replace': 'replaced the owner\'s copy',
  'discard': 'stray dropped, owner\'s copy is newer',
  'skip-conflict': 'skipped: owner has the key',
  'skip-vanished': 'skipped: gone before it was read',
  'skip-changed': 'skipped: stray changed during the move (owner has the copy)',
  'skip-unverified': 'skipped: owner did not hold the copy',
  'skip-no-idletime': 'skipped: no idle time to compare (LFU policy)',
  'compare': 'owner has it too: the newer copy is kept when moving',
  'error': 'failed',
}

export default class KeysFix extends BaseCommand {
  static override summary = 'Move every misplaced key to the server or node it belongs on.'
  static override description = `Finds misplaced keys like \`twlab keys audit\`, shows the plan, asks (on a terminal; --yes otherwise), then moves each key: DUMP and PTTL where it sits, RESTORE with the remaining TTL on its owner, read back and compared, and only then the stray copy is deleted, and only if it still holds the bytes that were copied. Interrupted at any point, nothing is lost; run it again to finish.
--on-conflict decides what happens when the owner already holds a key of the same name: skip (default: leave both), replace (the stray's value wins), keep-newer (the copy touched most recently wins, by OBJECT IDLETIME; under an LFU maxmemory-policy there is no idle time and such keys are skipped).`

  static override examples = [
    '<%= config.bin %> <%= command.id %> -c nutcracker.yml --dry-run',
    '<%= config.bin %> <%= command.id %> -c nutcracker.yml --yes --on-conflict keep-newer',
    '<%= config.bin %> <%= command.id %> --cluster 127.0.0.1:7000 --yes --json',
  ]

  static override flags = {
    ...targetFlags,
    ...BaseCommand.yesFlag,
    'dry-run': Flags.boolean({description: 'show what would move, change nothing', default: false}),
    'on-conflict': Flags.string({description: 'when the owner already has the key', options: [...CONFLICT_POLICIES], default: 'skip'}),
    limit: Flags.integer({description: 'list at most N keys (counts stay complete)', default: 100, min: 0}),
    count: Flags.integer({description: 'SCAN COUNT per call', default: 1000, min: 1}),
  }

  async run(): Promise<FixReport> {
    const {flags} = await this.parse(KeysFix)
    const onConflict = flags['on-conflict'] as ConflictPolicy
    const target = await openTarget(flags)
    try {
      const plan = await fixMisplaced(target, {dryRun: true, onConflict, limit: flags.limit, count: flags.count})
      const planned = plan.counts.move + plan.counts.replace + plan.counts.discard + plan.counts.compare
      if (flags['dry-run'] || planned === 0) {
        this.show(plan)
        return plan
      }
      if (!this.jsonEnabled()) this.show(plan)
      const go = await this.confirmOrRefuse(`Move ${formatCount(planned)} key${planned === 1 ? '' : 's'} in ${target.description}?`, flags.yes)
      if (!go) {
        this.note('Nothing was changed.')
        process.exitCode = 1
        return plan
      }
      const bar = progressBar('moving', {enabled: !this.jsonEnabled()})
      bar.start(plan.found)
      let report: FixReport
      try {
        report = await fixMisplaced(target, {onConflict, limit: flags.limit, count: flags.count, onProgress: (done) => bar.update(done)})
      } finally {
        bar.stop()
      }
      this.show(report)
      if (report.counts.error > 0) process.exitCode = 1
      return report
    } finally {
      await target.close()
    }
  }

  private show(report: FixReport): void {
    if (this.jsonEnabled()) return
    this.log(report.target)
    if (report.found === 0) {
      this.log('No misplaced keys: nothing to move.')
      return
    }
    const would = report.dryRun ? 'would be ' : ''
    const counts = (Object.entries(report.counts) as Array<[FixAction, number]>).filter(([, count]) => count > 0)
    this.log(renderTable(['outcome', 'keys'], counts.map(([action, count]) => [`${would}${ACTION_TEXT[action]}`, formatCount(count)])))
    if (report.keys.length > 0) {
      this.log(renderTable(['key', 'from', 'to', 'outcome'], report.keys.map((key) => [key.key, key.node, key.owner, key.error ? `${key.action}: ${key.error}` : key.action])))
    }
    if (report.truncated) this.log(`${formatCount(report.keys.length)} of ${formatCount(report.found)} keys listed; --limit shows more.`)
    const moved = report.counts.move + report.counts.replace
    if (report.dryRun) this.log(`Dry run: ${formatCount(report.found)} misplaced, nothing changed.`)
    else this.log(`Moved ${formatCount(moved)} of ${formatCount(report.found)} misplaced keys in ${report.seconds.toFixed(2)} s.`)
  }
}
