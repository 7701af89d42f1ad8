import {BaseCommand} from '../src/cli/base-command.js'
import {labNameFlag} from '../src/cli/lab-options.js'
import {renderTable} from '../src/cli/table.js'
import {UserError} from '../src/errors.js'
import {twlabHome} from '../src/lab/home.js'
import {listLabs, loadLab, type LabState} from '../src/lab/state.js'
import {labStatus, type LabStatus, type NodeStatus} from '../src/lab/status.js'
import {describeLab} from '../src/lab/summary.js'

function state(node: NodeStatus): string {
  if (!node.alive) return 'down'
  if (node.paused) return 'paused'
  return node.responding ? 'up' : 'not answering'
}

function role(node: NodeStatus): string {
  return node.staleMaster ? `${node.role} (STALE: Sentinel says ${node.sentinelMaster})` : node.role
}

/** The lab in one line: after a cut-over, the proxy in front of the cluster rather than the pool it no longer uses. */
function headline(lab: LabState, status: LabStatus): string {
  if (!status.fronts) return `Lab "${lab.name}": ${describeLab(lab)}`
  const cluster = status.fronts.lab ? `cluster lab "${status.fronts.lab}" (${status.fronts.seeds.join(', ')})` : `the cluster at ${status.fronts.seeds.join(', ')}`
  return `Lab "${lab.name}": cut over: ${lab.proxy.kind} on ${lab.proxy.address} fronts ${cluster}; the pool's servers below no longer serve it`
}

export default class Status extends BaseCommand {
  static override summary = 'Show labs node by node: process, live role, master, keys, memory, server and version, slots.'
  static override description = 'With --lab, that lab (--json: its status object); without, every lab in $TWLAB_HOME (--json: {labs: [...]}). After a cut-over the headline names the cluster the proxy fronts; a node that still claims master after a Sentinel failover is marked STALE. Memory is in bytes in --json.'
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status --lab ha --json']

  static override flags = {
    lab: labNameFlag,
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(Status)
    if (flags.lab !== undefined) {
      const lab = loadLab(flags.lab)
      const status = await labStatus(lab)
      this.render(lab, status)
      return status
    }
    const labs = listLabs()
    if (labs.length === 0) throw new UserError(`There is no lab in ${twlabHome()}.`, {hint: 'Start one with `twlab up`.'})
    const statuses = await Promise.all(labs.map((lab) => labStatus(lab)))
    labs.forEach((lab, index) => {
      if (index > 0) this.log('')
      this.render(lab, statuses[index])
    })
    return {labs: statuses}
  }

  private render(lab: LabState, status: LabStatus): void {
    if (this.jsonEnabled()) return
    const isCluster = lab.topology === 'cluster'
    const isSentinel = lab.topology === 'sentinel'
    const head = ['node', 'role', 'address', 'pid', 'state', 'follows', 'keys', 'memory', 'server', 'version']
    if (isCluster) head.push('slots')
    if (isSentinel) head.push('sentinel says master')
    const rows = status.nodes.map((node) => {
      const row: Array<string | number> = [
        node.name, role(node), node.address, node.pid, state(node),
        node.master ? `${node.master}${node.link && node.link !== 'up' ? ` (link ${node.link})` : ''}` : '',
        node.keys ?? '', node.memoryHuman ?? '', node.server ?? '', node.version ?? '',
      ]
      if (isCluster) row.push(node.slots ?? '')
      if (isSentinel) row.push(node.sentinelMaster ?? '')
      return row
    })
    this.log(headline(lab, status))
    this.log(renderTable(head, rows))
    if (status.tls) this.log(`TLS only: CA ${status.tls.caFile}, certificate ${status.tls.certFile}, key ${status.tls.keyFile}`)
    if (status.user) this.log(`ACL user ${status.user} on every node (the default user keeps the same password)`)
    if (status.readFrom) this.log(`Reads go to: ${status.readFrom} (twproxy read_from)`)
    for (const group of status.groups ?? []) {
      this.log(`Sentinel group ${group.group}: master ${group.masterNode ?? 'unknown'}${group.master ? ` (${group.master})` : ''}, reported by ${group.agreeing} of ${lab.nodes.filter((n) => n.role === 'sentinel').length} sentinels`)
    }
    for (const node of status.nodes.filter((candidate) => candidate.staleMaster)) {
      this.log(`Warning: ${node.name} still says it is master, but the sentinels of ${node.group} report ${node.sentinelMaster}: writes to ${node.name} will be lost when it is turned into a replica.`)
    }
  }
}
