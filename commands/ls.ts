import {BaseCommand} from '../src/cli/base-command.js'
import {renderTable} from '../src/cli/table.js'
import {twlabHome} from '../src/lab/home.js'
import {isRunning, listLabs} from '../src/lab/state.js'
import {describeLab} from '../src/lab/summary.js'

export default class Ls extends BaseCommand {
  static override summary = 'List the labs in $TWLAB_HOME and whether they run.'
  static override examples = ['<%= config.bin %> ls', '<%= config.bin %> ls --json']

  async run(): Promise<Record<string, unknown>> {
    await this.parse(Ls)
    const labs = listLabs().map((lab) => ({
      name: lab.name,
      topology: lab.topology,
      running: isRunning(lab),
      alive: lab.nodes.filter((node) => node.alive).length,
      processes: lab.nodes.length,
      ports: `${lab.basePort}-${Math.max(...lab.nodes.map((node) => node.port))}`,
      proxy: lab.proxy.address ? `${lab.proxy.kind} ${lab.proxy.address}` : lab.proxy.kind,
      description: describeLab(lab),
      dir: lab.dir,
    }))
    if (labs.length === 0) this.log(`No labs in ${twlabHome()}: start one with \`twlab up\`.`)
    else {
      this.log(renderTable(['name', 'topology', 'state', 'processes', 'ports', 'proxy'], labs.map((lab) => [
        lab.name, lab.topology, lab.running ? 'running' : 'stopped', `${lab.alive}/${lab.processes} alive`, lab.ports, lab.proxy,
      ])))
    }
    return {home: twlabHome(), labs}
  }
}
