import {Args} from '@oclif/core'
import {PoolChangeCommand, poolCommandFlags} from '../../src/cli/pool-command.js'
import type {PoolChangeSummary} from '../../src/pool/change.js'
import {planRemoveServer} from '../../src/pool/plan.js'

export default class PoolRemoveServer extends PoolChangeCommand {
  static override summary = 'Remove a server from a ketama pool online: move its keys to their new owners first.'
  static override description = `Shows which keys change owner and asks first; then the same steps as add-server: new servers:
with the old list as fallback_servers:, twproxy reload (SIGUSR1), keys MIGRATEd, fallback dropped,
stale copies deleted. The removed server is left running and empty.`

  static override examples = [
    '<%= config.bin %> pool remove-server 127.0.0.1:6382 --lab demo',
    '<%= config.bin %> pool remove-server s3 -c nutcracker.yml --pool alpha --proxy-pid 4242 --yes --json',
  ]

  static override args = {
    name: Args.string({description: 'the server to remove: its name in servers:, or HOST:PORT', required: true}),
  }

  static override flags = poolCommandFlags

  async run(): Promise<PoolChangeSummary> {
    const {args, flags} = await this.parse(PoolRemoveServer)
    return this.change(flags, (pool) => planRemoveServer(pool, args.name))
  }
}
