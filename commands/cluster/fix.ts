import {BaseCommand} from '../../src/cli/base-command.js'
import {UserError} from '../../src/errors.js'
import {renderTable} from '../../src/cli/table.js'
import {applyFix, planFix, type FixResult} from '../../src/cluster/fix.js'
import {SlotMoveCommand, clusterFlags, moveFlags} from '../../src/cli/slot-move-command.js'

export default class ClusterFix extends SlotMoveCommand {
  static override summary = 'Close half-moved slots and give ownerless slots an owner, keeping every key.'
  static override description = `An open slot is finished towards where a reshard journal (or its owner's MIGRATING mark, or an importing
master) says it was going, otherwise returned to its owner. An ownerless slot goes to the master holding
most of its keys (or, empty, to the master with the fewest slots). Keys of a slot found on other masters
are gathered to its owner. Slots given an owner here are waited on (bounded) until every master names the
same owner, and a move that meets CLUSTERDOWN or TRYAGAIN while views converge is retried a few times.`

  static override examples = ['<%= config.bin %> cluster fix --lab c', '<%= config.bin %> cluster fix --cluster 127.0.0.1:7000', '<%= config.bin %> cluster fix --cluster 127.0.0.1:7000 --yes --json']

  static override flags = {
    ...clusterFlags,
    batch: moveFlags.batch,
    timeout: moveFlags.timeout,
    replace: moveFlags.replace,
    ...BaseCommand.yesFlag,
  }

  async run(): Promise<FixResult & {steps: number}> {
    const {flags} = await this.parse(ClusterFix)
    const target = await this.connect(flags)
    try {
      const plan = await planFix(target)
      if (plan.steps.length === 0) {
        this.note('Nothing to fix: no slot is open and every slot has an owner.')
        return {steps: 0, fixed: [], failed: [], pendingJournals: [], settled: true, unsettled: []}
      }
      const name = (id: string) => target.byId(id)?.address ?? id
      if (!this.jsonEnabled()) {
        this.log(renderTable(['slot', 'action', 'ends on', 'why'], plan.steps.slice(0, 50).map((step) => [step.slot, step.action, name(step.to), step.reason])))
        if (plan.steps.length > 50) this.log(`... and ${plan.steps.length - 50} more slot(s)`)
      }
      if (!(await this.confirmOrRefuse(`Fix ${plan.steps.length} slot(s)?`, flags.yes))) throw new UserError('Nothing changed: the fix was not confirmed.')
      const result = await applyFix(target, plan, {batch: flags.batch, timeoutMs: flags.timeout, replace: flags.replace})
      const keys = result.fixed.reduce((sum, step) => sum + step.keys, 0)
      this.note(`Fixed ${result.fixed.length}/${plan.steps.length} slot(s), ${keys} key(s) moved.`)
      for (const failure of result.failed) this.note(`Slot ${failure.slot} not fixed: ${failure.error}`)
      if (!result.settled) {
        this.note(`Not every master agrees on the new owners yet (${result.unsettled.slice(0, 3).join('; ')}): gossip usually settles it; check with \`twlab cluster check ${this.clusterFlagText}\`.`)
      }
      for (const pending of result.pendingJournals) {
        this.note(`The reshard in ${pending.path} still has ${pending.remaining} planned slot(s) never started: \`twlab reshard ${this.clusterFlagText} --resume --journal ${pending.path}\` moves them.`)
      }
      if (result.failed.length > 0) process.exitCode = 1
      return {steps: plan.steps.length, ...result}
    } finally {
      await target.close()
    }
  }
}
