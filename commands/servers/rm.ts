import {Args} from '@oclif/core'
import {BaseCommand} from '../../src/cli/base-command.js'
import {UserError} from '../../src/errors.js'
import {twlabHome} from '../../src/lab/home.js'
import {isRunning, listLabs} from '../../src/lab/state.js'
import {SYSTEM_SERVER} from '../../src/servers/catalog.js'
import {readInstalled, removeInstalled} from '../../src/servers/store.js'

export default class ServersRm extends BaseCommand {
  static override summary = 'Remove a server fetched with `twlab servers add`.'
  static override examples = ['<%= config.bin %> servers rm valkey-9.1 --yes']

  static override args = {
    name: Args.string({description: 'server to remove (see `twlab servers ls`)', required: true}),
  }

  static override flags = {
    ...BaseCommand.yesFlag,
  }

  async run(): Promise<Record<string, unknown>> {
    const {args, flags} = await this.parse(ServersRm)
    const home = twlabHome()
    if (args.name === SYSTEM_SERVER) throw new UserError('The system\'s redis-server is not twlab\'s to remove: uninstall it with your package manager.')
    const server = readInstalled(home, args.name)
    if (!server) throw new UserError(`Server ${args.name} is not installed: see \`twlab servers ls\`.`)
    const users = listLabs().filter((lab) => isRunning(lab) && lab.nodes.some((node) => node.alive && node.server?.name === args.name))
    if (users.length > 0) {
      throw new UserError(`Server ${args.name} runs lab${users.length > 1 ? 's' : ''} ${users.map((lab) => `"${lab.name}"`).join(', ')}: stop ${users.length > 1 ? 'them' : 'it'} first with \`twlab down --lab ${users[0].name}\`.`)
    }
    if (!(await this.confirmOrRefuse(`Remove server ${server.name} (${server.product} ${server.version}) from ${server.dir}?`, flags.yes))) {
      this.log('Nothing was removed.')
      return {name: server.name, removed: false}
    }
    removeInstalled(home, server.name)
    this.log(`Server ${server.name} is removed (${server.dir}).`)
    return {name: server.name, removed: true, path: server.dir}
  }
}
