import {targetFlags} from '../../src/cli/target-flags.js'
import {Flags} from '@oclif/core'
import {type AuditReport, auditTarget} from '../../src/keys/audit.js'
import {openTarget} from '../../src/lab/target.js'
import {BaseCommand} from '../../src/cli/base-command.js'
import {formatCount} from '../../src/cli/format.js'
import {progressBar} from '../../src/cli/progress-bar.js'
import {renderTable} from '../../src/cli/table.js'

export default class KeysAudit extends BaseCommand {
  static override summary = 'Find keys stored on a server other than the one hashing routes them to.'
  static override description = `Pool: scans every server and places each key with nutcracker's hashing; a key on the wrong server is invisible through the proxy. Cluster: finds keys in slots the node does not own (CLUSTER COUNTKEYSINSLOT / GETKEYSINSLOT). Counts per server, the first --limit keys listed. Exit code 1 when any misplaced key is found, 0 when none. Move them with \`twlab keys fix\`.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> -c nutcracker.yml',
    '<%= config.bin %> <%= command.id %> --cluster 127.0.0.1:7000 --json',
  ]

  static override flags = {
    ...targetFlags,
    limit: Flags.integer({description: 'list at most N misplaced keys (counts stay complete)', default: 100, min: 0}),
    count: Flags.integer({description: 'SCAN COUNT per call', default: 1000, min: 1}),
  }

  async run(): Promise<AuditReport> {
    const {flags} = await this.parse(KeysAudit)
    const target = await openTarget(flags)
    const bar = progressBar('auditing', {enabled: !this.jsonEnabled()})
    let report: AuditReport
    try {
      report = await auditTarget(target, {
        limit: flags.limit,
        count: flags.count,
        onStart: (total) => bar.start(total),
        onScanned: (done) => bar.update(done),
      })
    } finally {
      bar.stop()
      await target.close()
    }
    if (!this.jsonEnabled()) this.show(report)
    // misplaced keys are a finding a script must notice, like a failed check
    if (report.totalMisplaced > 0) process.exitCode = 1
    return report
  }

  private show(report: AuditReport): void {
    this.log(report.target)
    const checked = report.kind === 'cluster' ? 'keys in unowned slots' : 'keys checked'
    this.log(renderTable(['node', 'address', checked, 'misplaced', 'belong on'], report.nodes.map((node) => [
      node.name === node.address ? node.id.slice(0, 8) : node.name,
      node.address,
      formatCount(node.checked),
      formatCount(node.misplaced),
      Object.entries(node.byOwner).map(([owner, count]) => `${owner}: ${formatCount(count)}`).join(', ') || '-',
    ])))
    if (report.totalMisplaced === 0) {
      this.log(`No misplaced keys (${report.seconds.toFixed(2)} s).`)
      return
    }
    if (report.keys.length > 0) {
      this.log(renderTable(['key', 'on', 'belongs on'], report.keys.map((key) => [key.key, key.node, key.owner])))
    }
    const more = report.truncated ? ` (${formatCount(report.keys.length)} listed; --limit shows more)` : ''
    this.log(`${formatCount(report.totalMisplaced)} misplaced key${report.totalMisplaced === 1 ? '' : 's'}${more}. Move them with \`twlab keys fix\`.`)
  }
}
