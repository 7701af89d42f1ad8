import {BaseCommand} from '../src/cli/base-command.js'
import {labNameFlag, labNodeArg} from '../src/cli/lab-options.js'
import {startNode} from '../src/lab/faults.js'
import {loadLab} from '../src/lab/state.js'

export default class Start extends BaseCommand {
  static override summary = 'Start a stopped or killed lab node again (or resume a paused one).'
  static override examples = ['<%= config.bin %> start m1']

  static override args = {
    node: labNodeArg,
  }

  static override flags = {
    lab: labNameFlag,
  }

  async run(): Promise<Record<string, unknown>> {
    const {args, flags} = await this.parse(Start)
    const lab = loadLab(flags.lab)
    const result = await startNode(lab, args.node)
    this.log(`${result.name} of lab "${lab.name}" was ${result.action} (pid ${result.pid}).`)
    return {lab: lab.name, ...result}
  }
}
