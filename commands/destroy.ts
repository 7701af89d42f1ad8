import {BaseCommand} from '../src/cli/base-command.js'
import {labNameFlag} from '../src/cli/lab-options.js'
import {destroyLab} from '../src/lab/down.js'
import {loadLab} from '../src/lab/state.js'

export default class Destroy extends BaseCommand {
  static override summary = 'Stop a lab and delete its folder: configs, data and logs.'
  static override examples = ['<%= config.bin %> destroy --name ha --yes']

  static override flags = {
    name: labNameFlag,
    ...BaseCommand.yesFlag,
  }

  async run(): Promise<Record<string, unknown>> {
    const {flags} = await this.parse(Destroy)
    const lab = loadLab(flags.name)
    if (!(await this.confirmOrRefuse(`Delete lab "${lab.name}" and all its data in ${lab.dir}?`, flags.yes))) {
      this.log('Nothing was deleted.')
      return {name: lab.name, destroyed: false}
    }
    const stopped = await destroyLab(lab)
    this.log(`Lab "${lab.name}" is gone (${stopped.filter((node) => node.result !== 'gone').length} processes stopped, ${lab.dir} deleted).`)
    return {name: lab.name, destroyed: true, stopped}
  }
}
