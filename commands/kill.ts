import {BaseCommand} from '../src/cli/base-command.js'
import {labNameFlag, labNodeArg} from '../src/cli/lab-options.js'
import {killNode} from '../src/lab/faults.js'
import {loadLab} from '../src/lab/state.js'

export default class Kill extends BaseCommand {
  static override summary = 'Kill a lab node with SIGKILL, as a crash would.'
  static override examples = ['<%= config.bin %> kill m1', '<%= config.bin %> kill m2-r1 --lab ha']

  static override args = {
    node: labNodeArg,
  }

  static override flags = {
    lab: labNameFlag,
  }

  async run(): Promise<Record<string, unknown>> {
    const {args, flags} = await this.parse(Kill)
    const lab = loadLab(flags.lab)
    const result = await killNode(lab, args.node)
    this.log(`${result.name} (pid ${result.pid}) of lab "${lab.name}" was killed (SIGKILL). Start it again with \`twlab start ${result.name}\`.`)
    return {lab: lab.name, ...result}
  }
}
