import {Args} from '@oclif/core'
import {BaseCommand} from '../../src/cli/base-command.js'
import {UserError} from '../../src/errors.js'
import {forgetNode} from '../../src/cluster/membership.js'
import {SlotMoveCommand, clusterFlags, moveFlags, type MoveSummary} from '../../src/cli/slot-move-command.js'
import {drainPlan} from '../../src/cluster/rebalance.js'
import {assertReady} from '../../src/cluster/requests.js'

export default class ClusterDelNode extends SlotMoveCommand {
  static override summary = 'Remove a node from a Redis Cluster, first moving its slots (and keys) to the other masters.'
  static override description = `The slots of a master are spread over the other masters so they end up even, with the same safe, journaled
moves as \`twlab reshard\`. Then its replicas follow another master, every node forgets it, and it is
reset (left running, alone).`

  static override examples = ['<%= config.bin %> cluster del-node m4 --lab c', '<%= config.bin %> cluster del-node 127.0.0.1:7003 --cluster 127.0.0.1:7000', '<%= config.bin %> cluster del-node 3f2a --cluster 127.0.0.1:7000 --yes']

  static override args = {
    node: Args.string({description: 'the node to remove: lab node name, id, id prefix or HOST:PORT', required: true}),
  }

  static override flags = {
    ...clusterFlags,
    ...moveFlags,
    ...BaseCommand.yesFlag,
  }

  async run(): Promise<MoveSummary & {removed?: string; replicasMoved: string[]}> {
    const {args, flags} = await this.parse(ClusterDelNode)
    const target = await this.connect(flags)
    try {
      const node = target.resolveNode(this.nodeSpec(args.node))
      let summary: MoveSummary = {operation: 'del-node', cluster: this.clusterName, plan: [], bigKeys: []}
      if (node.role === 'master' && node.slots.length > 0) {
        assertReady(target)
        const receivers = target.masters().filter((master) => master.id !== node.id && master.slots.length > 0)
        const fallback = target.masters().filter((master) => master.id !== node.id)
        const moves = drainPlan(node, receivers.length > 0 ? receivers : fallback)
        this.note(`${node.address} owns ${moves.length} slot(s); they move to the other masters first.`)
        summary = await this.executeMoves(target, 'del-node', moves, flags)
        if (summary.result?.status !== 'complete') {
          this.note(`${node.address} was not removed: it still owns slots.`)
          return {...summary, replicasMoved: []}
        }
      } else if (!(await this.confirmOrRefuse(`Remove ${node.address} (${node.role}) from the cluster?`, flags.yes))) {
        throw new UserError('Nothing changed: the removal was not confirmed.')
      }
      const {replicasMoved} = await forgetNode(target, node)
      this.log(`Removed ${node.address} (${node.id}) from the cluster${replicasMoved.length > 0 ? `; its replicas ${replicasMoved.join(', ')} follow other masters` : ''}.`)
      return {...summary, removed: node.address, replicasMoved}
    } finally {
      await target.close()
    }
  }
}

