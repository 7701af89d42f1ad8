import {BaseCommand} from '../src/cli/base-command.js'
import {labNameFlag} from '../src/cli/lab-options.js'
import {downLab} from '../src/lab/down.js'
import {loadLab} from '../src/lab/state.js'

export default class Down extends BaseCommand {
  static override summary = 'Stop every process of a lab (gracefully, then forcibly); its files stay.'
  static override examples = ['<%= config.bin %> down', '<%= config.bin %> down --name ha']

  static override flags = {
    name: labNameFlag,
  }

  async run(): Promise<Record<string, unknown>> {
    const {flags} = await this.parse(Down)
    const lab = loadLab(flags.name)
    this.note(`Stopping lab "${lab.name}"...`)
    const stopped = await downLab(lab)
    const forced = stopped.filter((node) => node.result === 'killed').length
    this.log(`Lab "${lab.name}" is down: ${stopped.filter((node) => node.result !== 'gone').length} processes stopped${forced ? ` (${forced} forcibly)` : ''}. Its files stay in ${lab.dir}.`)
    return {name: lab.name, stopped}
  }
}
