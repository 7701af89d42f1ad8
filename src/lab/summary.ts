// Human-readable views of a lab for `up`, `ls` and `status`: which node is where, and how to connect.
import type {LabState} from './state.js'

export function connectHint(lab: LabState): string[] {
  const tls = lab.tls ? ` --tls --cacert ${lab.tls.caFile}` : ''
  const auth = `${tls}${lab.user ? ` --user ${lab.user}` : ''}${lab.password ? ` -a ${lab.password} --no-auth-warning` : ''}`
  const first = lab.nodes.find((node) => node.role === 'master')
  const lines: string[] = []
  if (lab.topology === 'cluster') {
    lines.push(`Connect: redis-cli -c -p ${first?.port}${auth}`)
  } else if (lab.proxy.address) {
    lines.push(`Connect through ${lab.proxy.kind}: redis-cli -p ${lab.proxy.port}${auth}`)
    lines.push(`Proxy stats: nc ${lab.host} ${lab.proxy.statsPort}`)
  } else if (first) {
    lines.push(`Connect to a master: redis-cli -p ${first.port}${auth}`)
  }
  const sentinel = lab.nodes.find((node) => node.role === 'sentinel')
  if (sentinel) lines.push(`Ask Sentinel: redis-cli -p ${sentinel.port}${tls} sentinel get-master-addr-by-name ${lab.sentinel?.groups[0]}`)
  lines.push(`Stop it: twlab down --lab ${lab.name}`)
  return lines
}

export function describeLab(lab: LabState): string {
  const masters = lab.nodes.filter((node) => node.role === 'master').length
  const replicas = lab.nodes.filter((node) => node.role === 'replica').length
  const parts = [`${masters} master${masters === 1 ? '' : 's'}`]
  if (replicas > 0) parts.push(`${replicas} replica${replicas === 1 ? '' : 's'}`)
  const sentinels = lab.nodes.filter((node) => node.role === 'sentinel').length
  if (sentinels > 0) parts.push(`${sentinels} sentinels`)
  if (lab.proxy.kind !== 'none' && lab.proxy.address) parts.push(`${lab.proxy.kind} on ${lab.proxy.address}`)
  return `${lab.topology}: ${parts.join(', ')}`
}
