import {Args} from '@oclif/core'
import {PoolChangeCommand, poolCommandFlags} from '../../src/cli/pool-command.js'
import type {PoolChangeSummary} from '../../src/pool/change.js'
import {planAddServer, serverFromSpec} from '../../src/pool/plan.js'

export default class PoolAddServer extends PoolChangeCommand {
  static override summary = 'Add a server to a ketama pool online: move the keys it now owns, with twproxy reloaded in place.'
  static override description = `Shows which keys change owner (per server pair) and asks first. The config gets the new
servers: and the old list as fallback_servers:, twproxy reloads on SIGUSR1 and hands each moving key
over on first touch, the keys are MIGRATEd in batches, then fallback_servers: is dropped and stale copies
deleted. Interrupted, the same command finishes it. With nutcracker in front it prints the restart step.`

  static override examples = [
    '<%= config.bin %> pool add-server 127.0.0.1:6383 --lab demo',
    '<%= config.bin %> pool add-server 127.0.0.1:6383:1 s4 -c nutcracker.yml --pool alpha --pid-file twproxy.pid --yes',
    '<%= config.bin %> pool add-server 127.0.0.1:6383 -c nutcracker.yml --proxy-pid 4242 --dry-run',
  ]

  static override args = {
    server: Args.string({description: 'HOST:PORT[:WEIGHT] of the new redis-server (weight 1 by default)', required: true}),
    name: Args.string({description: 'its name in servers: (ketama places keys by it; default HOST:PORT)'}),
  }

  static override flags = poolCommandFlags

  async run(): Promise<PoolChangeSummary> {
    const {args, flags} = await this.parse(PoolAddServer)
    const server = serverFromSpec(args.server, args.name)
    return this.change(flags, (pool) => planAddServer(pool, server))
  }
}
