import {Args} from '@oclif/core'
import {BaseCommand} from '../../src/cli/base-command.js'
import {onInterrupt} from '../../src/cli/interrupt.js'
import {twlabHome} from '../../src/lab/home.js'
import {catalogEntry, catalogNames} from '../../src/servers/catalog.js'
import {fetchServer} from '../../src/servers/fetch.js'

export default class ServersAdd extends BaseCommand {
  static override summary = 'Fetch a Redis or Valkey server from Debian\'s archive, with the C library it runs on.'
  static override description = `Downloads the server's packages and its suite's C library with apt-get (a private sources list naming the system's Debian archive; the system's packages are not touched), extracts them into $TWLAB_HOME/servers/NAME and checks the programs start. Use it with \`twlab up --server NAME\`. Servers: ${catalogNames().join(', ')}.`
  static override examples = ['<%= config.bin %> servers add valkey-9.1', '<%= config.bin %> servers add redis-8.0 --json']

  static override args = {
    name: Args.string({description: 'server to fetch', required: true, options: catalogNames()}),
  }

  async run(): Promise<Record<string, unknown>> {
    const {args} = await this.parse(ServersAdd)
    const entry = catalogEntry(args.name)
    const interrupt = onInterrupt(() => process.stderr.write('Stopping the fetch and removing what was downloaded...\n'))
    try {
      const {server, fetched} = await fetchServer(entry, {home: twlabHome(), progress: (line) => this.note(line), signal: interrupt.signal})
      this.log(fetched
        ? `${server.name} is ready: ${server.product} ${server.version} in ${server.dir}.`
        : `${server.name} is installed already: ${server.product} ${server.version} in ${server.dir}.`)
      return {name: server.name, product: server.product, version: server.version, path: server.dir, suite: server.suite, packages: server.packages, fetched}
    } finally {
      interrupt.remove()
    }
  }
}
