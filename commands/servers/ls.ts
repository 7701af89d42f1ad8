import {BaseCommand} from '../../src/cli/base-command.js'
import {renderTable} from '../../src/cli/table.js'
import {twlabHome} from '../../src/lab/home.js'
import {listServers} from '../../src/servers/list.js'

export default class ServersLs extends BaseCommand {
  static override summary = 'List the servers labs can run: the system\'s redis-server and those fetched with `twlab servers add`.'
  static override examples = ['<%= config.bin %> servers ls', '<%= config.bin %> servers ls --json']

  async run(): Promise<Record<string, unknown>> {
    await this.parse(ServersLs)
    const {servers, available} = await listServers(twlabHome())
    this.log(renderTable(['name', 'version', 'path'], servers.map((server) => [
      server.name, server.version ? `${server.product} ${server.version}` : server.missing ?? '', server.path ?? '',
    ])))
    if (available.length > 0) this.log(`Can be added with \`twlab servers add NAME\`: ${available.map((entry) => entry.name).join(', ')}.`)
    return {servers, available}
  }
}
