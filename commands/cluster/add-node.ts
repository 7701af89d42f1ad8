import {Args, Flags} from '@oclif/core'
import {addNode, type AddedNode} from '../../src/cluster/membership.js'
import {SlotMoveCommand, clusterFlags} from '../../src/cli/slot-move-command.js'

export default class ClusterAddNode extends SlotMoveCommand {
  static override summary = 'Add an empty cluster-enabled redis to a Redis Cluster, as a master or as a replica.'
  static override description = 'A new master owns no slots: follow with `twlab rebalance --use-empty-masters` (or `twlab reshard --to`) to give it some.'
  static override examples = [
    '<%= config.bin %> cluster add-node 127.0.0.1:7006 --lab c',
    '<%= config.bin %> cluster add-node 127.0.0.1:7006 --cluster 127.0.0.1:7000',
    '<%= config.bin %> cluster add-node 127.0.0.1:7007 --cluster 127.0.0.1:7000 --replica-of 127.0.0.1:7006',
  ]

  static override args = {
    new: Args.string({description: 'the node to add, HOST:PORT (empty, cluster-enabled)', required: true}),
  }

  static override flags = {
    ...clusterFlags,
    'replica-of': Flags.string({description: 'make it a replica of this master (lab node name, id or HOST:PORT)', helpValue: 'NODE'}),
  }

  async run(): Promise<AddedNode> {
    const {args, flags} = await this.parse(ClusterAddNode)
    const target = await this.connect(flags)
    try {
      this.note(`Adding ${args.new} to the ${target.description}...`)
      const replicaOf = flags['replica-of'] === undefined ? undefined : this.nodeSpec(flags['replica-of'])
      const added = await addNode(target, this.nodeSpec(args.new), replicaOf)
      this.log(added.role === 'replica' ? `Added ${added.address} (${added.id}) as a replica of ${added.master}.` : `Added ${added.address} (${added.id}) as a master with no slots.`)
      return added
    } finally {
      await target.close()
    }
  }
}
