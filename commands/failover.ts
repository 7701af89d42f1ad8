import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../src/cli/base-command.js'
import {labNameFlag} from '../src/cli/lab-options.js'
import {parseDuration} from '../src/cli/duration.js'
import {failover} from '../src/lab/faults.js'
import {loadLab} from '../src/lab/state.js'

export default class Failover extends BaseCommand {
  static override summary = 'Fail a master over to a replica: SENTINEL FAILOVER, or CLUSTER FAILOVER on a replica.'
  static override description = 'In a sentinel lab NODE is any node of the group (or the group name); in a cluster lab NODE is the replica to promote, or a master whose replica should take over. Waits until the new master is in place.'
  static override examples = ['<%= config.bin %> failover', '<%= config.bin %> failover m2', '<%= config.bin %> failover m1-r1 --force']

  static override args = {
    node: Args.string({description: 'node or group to fail over (default: the first group / the first replica)'}),
  }

  static override flags = {
    lab: labNameFlag,
    force: Flags.boolean({description: 'cluster: CLUSTER FAILOVER FORCE, for when the master is down'}),
    timeout: Flags.string({description: 'how long to wait for the new master', default: '30s'}),
  }

  async run(): Promise<Record<string, unknown>> {
    const {args, flags} = await this.parse(Failover)
    const timeoutMs = parseDuration(flags.timeout, '--timeout')
    const lab = loadLab(flags.lab)
    this.note('Failing over...')
    const result = await failover(lab, args.node, {force: flags.force, timeoutMs})
    this.log(`${result.group ? `${result.group}: ` : ''}${result.to} is master now${result.from ? ` (was ${result.from})` : ''}, after ${(result.elapsedMs / 1000).toFixed(2)} s.`)
    return {lab: lab.name, ...result}
  }
}
