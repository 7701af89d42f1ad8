import {BaseCommand} from '../src/cli/base-command.js'
import {labNameFlag} from '../src/cli/lab-options.js'
import {downLab} from '../src/lab/down.js'
import {loadLab} from '../src/lab/state.js'

export default class Down extends BaseCommand {
  static override summary = 'Stop every process of a lab (gracefully, then forcibly); its data stays for the next `twlab up`.'
  static override examples = ['<%= config.bin %> down', '<%= config.bin %> down --lab ha']

  static override flags = {
    lab: labNameFlag,
  }

  async run(): Promise<Record<string, unknown>> {
    const {flags} = await this.parse(Down)
    const lab = loadLab(flags.lab)
    this.note(`Stopping lab "${lab.name}"...`)
    const stopped = await downLab(lab)
    const forced = stopped.filter((node) => node.result === 'killed').length
    const kept = lab.ephemeral
      ? `It kept no data (--ephemeral); its files stay in ${lab.dir}.`
      : `Its data stays in ${lab.dir}: \`twlab up --lab ${lab.name}\` starts it again with every key (\`twlab destroy --lab ${lab.name}\` wipes it).`
    this.log(`Lab "${lab.name}" is down: ${stopped.filter((node) => node.result !== 'gone').length} processes stopped${forced ? ` (${forced} forcibly)` : ''}. ${kept}`)
    return {name: lab.name, stopped}
  }
}
