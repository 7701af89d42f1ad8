import {Flags} from '@oclif/core'
import {BaseCommand} from '../src/cli/base-command.js'
import {labNameFlag, labNodeArg} from '../src/cli/lab-options.js'
import {parseDuration} from '../src/cli/duration.js'
import {pauseNode} from '../src/lab/faults.js'
import {loadLab} from '../src/lab/state.js'

export default class Pause extends BaseCommand {
  static override summary = 'Freeze a lab node (SIGSTOP), for a while or until `twlab start`.'
  static override description = 'With --for, waits that long and resumes the node (SIGCONT), as a long GC pause or a stalled VM would. Without it, the node stays frozen until `twlab start NODE`.'
  static override examples = ['<%= config.bin %> pause m1 --for 5s', '<%= config.bin %> pause m2']

  static override args = {
    node: labNodeArg,
  }

  static override flags = {
    lab: labNameFlag,
    for: Flags.string({description: 'how long to pause (500ms, 5s, 1m); resumes afterwards'}),
  }

  async run(): Promise<Record<string, unknown>> {
    const {args, flags} = await this.parse(Pause)
    const forMs = flags.for === undefined ? undefined : parseDuration(flags.for, '--for')
    const lab = loadLab(flags.lab)
    if (forMs !== undefined) this.note(`Pausing ${args.node} for ${forMs} ms...`)
    const result = await pauseNode(lab, args.node, forMs)
    this.log(result.resumed
      ? `${result.name} (pid ${result.pid}) was paused for ${forMs} ms and resumed.`
      : `${result.name} (pid ${result.pid}) is paused: resume it with \`twlab start ${result.name}\`.`)
    return {lab: lab.name, ...result, pausedMs: forMs}
  }
}
