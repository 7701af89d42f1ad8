// `twlab keys where`: which server of a nutcracker pool holds each key, and its cluster slot.
import {Args, Flags} from '@oclif/core'
import {isConfigError, loadConfig, type NutcrackerConfig} from '../../src/config/index.js'
import {choosePool, PoolPlacement, type KeyPlacement} from '../../src/keys/where.js'
import {streamPlacements} from '../../src/keys/where-stream.js'
import {BaseCommand} from '../../src/ui/base-command.js'
import {UserError} from '../../src/ui/errors.js'
import {renderTable} from '../../src/ui/table.js'

export default class KeysWhere extends BaseCommand {
  static override summary = 'Show which server of a nutcracker pool holds each key, offline.'
  static override description = `Places keys with the pool's own hash, distribution, weights, server names and hash_tag, exactly as nutcracker 0.5.0 does, and adds the Redis Cluster slot of each key. Nothing is contacted: only the config file is read.

With --stdin, keys are read one per line (as raw bytes) and results are streamed: a tab-separated line per key, or with --json one JSON array, in bounded memory whatever the number of keys.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> user:1000 cart:42 -c nutcracker.yml',
    '<%= config.bin %> <%= command.id %> "{user1000}.following" -c nutcracker.yml --pool alpha --json',
    'redis-cli --scan | <%= config.bin %> <%= command.id %> --stdin -c nutcracker.yml --pool alpha > placement.tsv',
  ]

  static override strict = false
  static override args = {
    // ignoreStdin: oclif would otherwise take piped input as the first argument; --stdin reads it.
    keys: Args.string({description: 'keys to place (or use --stdin)', required: false, ignoreStdin: true}),
  }

  static override flags = {
    'conf-file': Flags.string({char: 'c', description: 'nutcracker.yml of the pool', default: 'conf/nutcracker.yml', aliases: ['config']}),
    pool: Flags.string({char: 'p', description: 'pool name (required when the file has several pools)'}),
    stdin: Flags.boolean({description: 'read keys from standard input, one per line', default: false}),
  }

  async run(): Promise<KeyPlacement[] | undefined> {
    const {argv, flags} = await this.parse(KeysWhere)
    const keys = argv as string[]
    if (flags.stdin && keys.length > 0) throw new UserError('Give keys as arguments or with --stdin, not both.')
    if (!flags.stdin && keys.length === 0) {
      throw new UserError('No keys given.', {hint: 'Pass keys as arguments (twlab keys where KEY... -c FILE) or pipe them with --stdin.'})
    }
    const config = await readConfig(flags['conf-file'])
    const placement = new PoolPlacement(choosePool(config, flags.pool))
    if (!placement.deterministic) {
      this.note(`Pool ${placement.pool.name} uses distribution random: nutcracker sends each request to any server, so no server is shown.`)
    }

    if (flags.stdin) {
      const format = this.jsonEnabled() ? 'json' : 'tsv'
      const count = await streamPlacements(process.stdin, process.stdout, placement, format)
      this.note(`${count} key${count === 1 ? '' : 's'} placed in pool ${placement.pool.name}.`)
      return undefined
    }

    const placed = keys.map((key) => placement.place(key))
    if (!this.jsonEnabled()) {
      this.log(renderTable(['key', 'pool', 'server', 'address', 'hash', 'slot'],
        placed.map((p) => [p.key, p.pool, p.server ?? '(random)', p.address ?? '(random)', p.hash, p.slot])))
    }
    return placed
  }
}

/** The config, with nutcracker's refusal turned into one user-facing sentence. */
async function readConfig(file: string): Promise<NutcrackerConfig> {
  try {
    return await loadConfig(file, {resolve: false})
  } catch (error) {
    if (isConfigError(error)) throw new UserError(error.message, {cause: error})
    throw error
  }
}
