import {Flags} from '@oclif/core'
import {BaseCommand} from '../src/cli/base-command.js'
import {UserError} from '../src/errors.js'
import {CLUSTER_SLOTS} from '../src/hashing/index.js'
import {renderTable} from '../src/cli/table.js'
import {SlotMoveCommand, clusterFlags, moveFlags, type MoveSummary} from '../src/cli/slot-move-command.js'
import {planClusterRebalance} from '../src/cluster/rebalance.js'
import type {RebalanceShare} from '../src/cluster/rebalance-plan.js'
import {assertReady} from '../src/cluster/requests.js'

export default class Rebalance extends SlotMoveCommand {
  static override summary = 'Even out slots across the masters of a Redis Cluster (optionally weighted), online.'
  static override description = `Each master's share is ${CLUSTER_SLOTS} x weight / total weight (weight 1 unless --weight says otherwise; 0
empties a master). Nothing moves while every master is within --threshold percent of its share.
Masters without slots are left out unless --use-empty-masters (or a --weight names them).`

  static override examples = [
    '<%= config.bin %> rebalance --lab c --use-empty-masters --yes',
    '<%= config.bin %> rebalance --lab c --weight m1=2',
    '<%= config.bin %> rebalance --cluster 127.0.0.1:7000 --use-empty-masters --yes',
    '<%= config.bin %> rebalance --cluster 127.0.0.1:7000 --weight 127.0.0.1:7001=2 --weight 3f2a=0.5',
    '<%= config.bin %> rebalance --cluster 127.0.0.1:7000 --simulate',
  ]

  static override flags = {
    ...clusterFlags,
    weight: Flags.string({description: 'weight of a master (repeatable)', multiple: true, helpValue: 'NODE=W'}),
    threshold: Flags.string({description: 'percent off its share before a master is rebalanced', default: '2', helpValue: 'PCT'}),
    'use-empty-masters': Flags.boolean({description: 'give slots to masters that own none', default: false}),
    simulate: Flags.boolean({description: 'show the plan and move nothing', default: false}),
    ...moveFlags,
    ...BaseCommand.yesFlag,
  }

  async run(): Promise<MoveSummary & {shares: Array<Omit<RebalanceShare, 'id'> & {node: string}>; needed: boolean; simulated: boolean}> {
    const {flags} = await this.parse(Rebalance)
    const threshold = Number(flags.threshold)
    if (!Number.isFinite(threshold) || threshold < 0) throw new UserError(`--threshold "${flags.threshold}" is not a percentage: write it as 2 or 0.5.`)
    const target = await this.connect(flags)
    try {
      assertReady(target)
      const weights = flags.weight?.map((spec) => {
        const equals = spec.lastIndexOf('=')
        return equals > 0 ? `${this.nodeSpec(spec.slice(0, equals))}${spec.slice(equals)}` : spec
      })
      const plan = planClusterRebalance(target, {weights, threshold, useEmptyMasters: flags['use-empty-masters']})
      const shares = plan.shares.map(({id, ...share}) => ({node: target.byId(id)?.address ?? id, ...share}))
      if (!this.jsonEnabled()) {
        this.log(renderTable(['master', 'weight', 'slots', 'share', 'gives (+) / takes (-)'], shares.map((s) => [s.node, s.weight, s.slots, s.expected, s.balance])))
      }
      if (!plan.needed) this.note(`No rebalancing needed: every master is within ${threshold}% of its share.`)
      const summary = await this.executeMoves(target, 'rebalance', plan.moves, flags, {simulate: flags.simulate})
      return {...summary, shares, needed: plan.needed, simulated: flags.simulate}
    } finally {
      await target.close()
    }
  }
}
