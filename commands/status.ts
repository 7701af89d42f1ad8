import {BaseCommand} from '../src/cli/base-command.js'
import {labNameFlag} from '../src/cli/lab-options.js'
import {renderTable} from '../src/cli/table.js'
import {loadLab} from '../src/lab/state.js'
import {labStatus, type NodeStatus} from '../src/lab/status.js'
import {describeLab} from '../src/lab/summary.js'

function state(node: NodeStatus): string {
  if (!node.alive) return 'down'
  if (node.paused) return 'paused'
  return node.responding ? 'up' : 'not answering'
}

export default class Status extends BaseCommand {
  static override summary = 'Show a lab node by node: process, live role, master, keys, memory, server and version, slots.'
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status --name ha --json']

  static override flags = {
    name: labNameFlag,
  }

  async run(): Promise<Record<string, unknown>> {
    const {flags} = await this.parse(Status)
    const lab = loadLab(flags.name)
    const status = await labStatus(lab)
    const isCluster = lab.topology === 'cluster'
    const isSentinel = lab.topology === 'sentinel'
    const head = ['node', 'role', 'address', 'pid', 'state', 'follows', 'keys', 'memory', 'server', 'version']
    if (isCluster) head.push('slots')
    if (isSentinel) head.push('sentinel says master')
    const rows = status.nodes.map((node) => {
      const row: Array<string | number> = [
        node.name, node.role, node.address, node.pid, state(node),
        node.master ? `${node.master}${node.link && node.link !== 'up' ? ` (link ${node.link})` : ''}` : '',
        node.keys ?? '', node.memory ?? '', node.server ?? '', node.version ?? '',
      ]
      if (isCluster) row.push(node.slots ?? '')
      if (isSentinel) row.push(node.sentinelMaster ?? '')
      return row
    })
    this.log(`Lab "${lab.name}": ${describeLab(lab)}`)
    this.log(renderTable(head, rows))
    for (const group of status.groups ?? []) {
      this.log(`Sentinel group ${group.group}: master ${group.masterNode ?? 'unknown'}${group.master ? ` (${group.master})` : ''}, reported by ${group.agreeing} of ${lab.nodes.filter((n) => n.role === 'sentinel').length} sentinels`)
    }
    return {...status}
  }
}
