import {BaseCommand} from '../src/cli/base-command.js'
import {labNameFlag, labNodeArg} from '../src/cli/lab-options.js'
import {stopOneNode} from '../src/lab/faults.js'
import {loadLab} from '../src/lab/state.js'

export default class Stop extends BaseCommand {
  static override summary = 'Stop a lab node gracefully (SIGTERM, then SIGKILL if it lingers).'
  static override examples = ['<%= config.bin %> stop m1', '<%= config.bin %> stop m2-r1 --lab ha']

  static override args = {
    node: labNodeArg,
  }

  static override flags = {
    lab: labNameFlag,
  }

  async run(): Promise<Record<string, unknown>> {
    const {args, flags} = await this.parse(Stop)
    const lab = loadLab(flags.lab)
    const result = await stopOneNode(lab, args.node)
    this.log(`${result.name} (pid ${result.pid}) of lab "${lab.name}" was stopped. Start it again with \`twlab start ${result.name}\`.`)
    return {lab: lab.name, ...result}
  }
}
