import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../src/ui/base-command.js'
import {startNode} from '../src/lab/faults.js'
import {loadLab} from '../src/lab/state.js'

export default class Start extends BaseCommand {
  static override summary = 'Start a stopped or killed lab node again (or resume a paused one).'
  static override examples = ['<%= config.bin %> start m1']

  static override args = {
    node: Args.string({description: 'node name as shown by twlab status', required: true}),
  }

  static override flags = {
    name: Flags.string({char: 'n', description: 'lab name (default: the only lab, or the only running one)'}),
  }

  async run(): Promise<Record<string, unknown>> {
    const {args, flags} = await this.parse(Start)
    const lab = loadLab(flags.name)
    const result = await startNode(lab, args.node)
    this.log(`${result.name} of lab "${lab.name}" was ${result.action} (pid ${result.pid}).`)
    return {lab: lab.name, ...result}
  }
}
