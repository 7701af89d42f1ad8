import {renderTable} from '../../src/cli/table.js'
import {CLUSTER_SLOTS} from '../../src/hashing/index.js'
import {checkCluster, type ClusterReport} from '../../src/cluster/check.js'
import {SlotMoveCommand, clusterFlags} from '../../src/cli/slot-move-command.js'

export default class ClusterCheck extends SlotMoveCommand {
  static override summary = 'Check a Redis Cluster: every node agrees, every slot has one owner, nothing is half-moved.'
  static override description = 'Exits 0 when the cluster is healthy, 1 when a problem is listed (then `twlab cluster fix` closes open slots and covers ownerless ones).'
  static override examples = ['<%= config.bin %> cluster check --cluster 127.0.0.1:7000', '<%= config.bin %> cluster check --cluster 127.0.0.1:7000 --json']
  static override flags = {...clusterFlags}

  async run(): Promise<ClusterReport> {
    const {flags} = await this.parse(ClusterCheck)
    const target = await this.connect(flags)
    try {
      const report = await checkCluster(target)
      if (!this.jsonEnabled()) {
        this.log(renderTable(['node', 'id', 'role', 'slots', 'ranges', 'keys', 'replicas / master', 'flags'], report.nodes.map((node) => [
          node.address, node.id.slice(0, 8), node.role, node.slots, node.ranges.length > 40 ? `${node.ranges.slice(0, 37)}...` : node.ranges,
          node.keys ?? '-', node.role === 'master' ? node.replicas : node.master ?? '-', node.flags,
        ])))
        if (report.ok) this.log(`OK: all nodes agree, all ${CLUSTER_SLOTS} slots are covered, no slot is open.`)
        else for (const problem of report.problems) this.log(`[${problem.kind}] ${problem.message}`)
      }
      if (!report.ok) process.exitCode = 1
      return report
    } finally {
      await target.close()
    }
  }
}

