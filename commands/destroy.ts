import {Flags} from '@oclif/core'
import {BaseCommand} from '../src/cli/base-command.js'
import {UserError} from '../src/errors.js'
import {labsFronting} from '../src/lab/status.js'
import {labNameFlag} from '../src/cli/lab-options.js'
import {destroyLab} from '../src/lab/down.js'
import {loadLab} from '../src/lab/state.js'

export default class Destroy extends BaseCommand {
  static override summary = 'Stop a lab and delete its folder: configs, data and logs.'
  static override description = 'A cluster lab that a proxy fronts after `twlab migrate --cutover` is kept unless --force.'
  static override examples = ['<%= config.bin %> destroy --lab ha --yes']

  static override flags = {
    lab: labNameFlag,
    force: Flags.boolean({description: 'destroy a cluster lab even while a proxy (after a cut-over) still sends requests to it', default: false}),
    ...BaseCommand.yesFlag,
  }

  async run(): Promise<Record<string, unknown>> {
    const {flags} = await this.parse(Destroy)
    const lab = loadLab(flags.lab)
    const fronting = lab.topology === 'cluster' ? await labsFronting(lab) : []
    if (fronting.length > 0 && !flags.force) {
      const names = fronting.map((other) => `"${other.name}"`).join(', ')
      throw new UserError(`The proxy of lab ${names} fronts lab "${lab.name}" since its cut-over: destroying it would make every request through that proxy fail.`, {
        hint: `Destroy ${names} first, or pass --force to destroy "${lab.name}" anyway.`,
      })
    }
    if (!(await this.confirmOrRefuse(`Delete lab "${lab.name}" and all its data in ${lab.dir}?`, flags.yes))) {
      this.log('Nothing was deleted.')
      return {name: lab.name, destroyed: false}
    }
    const stopped = await destroyLab(lab)
    this.log(`Lab "${lab.name}" is gone (${stopped.filter((node) => node.result !== 'gone').length} processes stopped, ${lab.dir} deleted).`)
    return {name: lab.name, destroyed: true, stopped}
  }
}
