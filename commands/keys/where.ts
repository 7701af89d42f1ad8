// `twlab keys where`: which server of a nutcracker pool holds each key, and its cluster slot.
import {targetFlags} from '../../src/cli/target-flags.js'
import {Args, Flags} from '@oclif/core'
import {DEFAULT_CONFIG_FILE} from '../../src/config/index.js'
import {choosePools, PoolPlacement, type KeyPlacement} from '../../src/keys/where.js'
import {streamPlacements} from '../../src/keys/where-stream.js'
import type {LiveStatus} from '../../src/keys/where-live.js'
import {keySlot} from '../../src/hashing/index.js'
import {readPoolConfig} from '../../src/targets/pool-config.js'
import {BaseCommand} from '../../src/cli/base-command.js'
import {formatBytes} from '../../src/cli/format.js'
import {UserError} from '../../src/errors.js'
import {renderTable} from '../../src/cli/table.js'

export default class KeysWhere extends BaseCommand {
  static override summary = 'Show which server of a nutcracker pool holds each key, offline.'
  static override description = `Places keys with the pool's own hash, distribution, weights, server names and hash_tag, exactly as nutcracker 0.5.0 does, and adds the Redis Cluster slot of each key. Nothing is contacted: only the config file is read. With several --pool flags each key is placed in each of those pools (one row per key and pool), e.g. to compare an old and a new pool.

With --stdin, keys are read one per line (as raw bytes) and results are streamed: a tab-separated line per key, or with --json one JSON array, in bounded memory whatever the number of keys.

Live: with --live (the pool of -c), --lab NAME or --cluster HOST:PORT the servers are asked too: whether the key exists, its type, TTL and memory, and whether it sits where hashing (or slot ownership) sends it: ok, misplaced (elsewhere only: invisible through the proxy), duplicated (on its owner and elsewhere) or missing, with the servers that hold it.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> user:1000 cart:42 -c nutcracker.yml',
    '<%= config.bin %> <%= command.id %> "{user1000}.following" -c nutcracker.yml --pool alpha --json',
    '<%= config.bin %> <%= command.id %> user:1000 -c nutcracker.yml --pool old --pool new',
    'redis-cli --scan | <%= config.bin %> <%= command.id %> --stdin -c nutcracker.yml --pool alpha > placement.tsv',
    '<%= config.bin %> <%= command.id %> user:1000 -c nutcracker.yml --live',
    '<%= config.bin %> <%= command.id %> user:1000 --cluster 127.0.0.1:7000 --json',
  ]

  static override strict = false
  static override args = {
    // ignoreStdin: oclif would otherwise take piped input as the first argument; --stdin reads it.
    keys: Args.string({description: 'keys to place (or use --stdin)', required: false, ignoreStdin: true}),
  }

  static override flags = {
    // No oclif default: with --live, a missing -c means "the only running lab", as in every live command.
    'conf-file': Flags.string({char: 'c', description: `nutcracker.yml of the pool [default: ${DEFAULT_CONFIG_FILE}; with --live and no -c: the only running lab]`, aliases: ['config']}),
    pool: Flags.string({char: 'p', description: 'pool name (required when the file has several pools); repeat it to place keys in several pools', multiple: true}),
    stdin: Flags.boolean({description: 'read keys from standard input, one per line', default: false}),
    live: Flags.boolean({description: 'also ask the pool\'s servers: exists, type, TTL, memory, and where the key really is', default: false}),
    lab: Flags.string({description: 'look the keys up live in a lab started by `twlab up`', exclusive: ['cluster']}),
    cluster: Flags.string({description: 'look the keys up live in a Redis Cluster (any node, HOST:PORT)', exclusive: ['lab']}),
    password: targetFlags.password,
  }

  async run(): Promise<Array<KeyPlacement | LiveWhere> | undefined> {
    const {argv, flags} = await this.parse(KeysWhere)
    const keys = argv as string[]
    if (flags.stdin && keys.length > 0) throw new UserError('Give keys as arguments or with --stdin, not both.')
    if (!flags.stdin && keys.length === 0) {
      throw new UserError('No keys given.', {hint: 'Pass keys as arguments (twlab keys where KEY... -c FILE) or pipe them with --stdin.'})
    }
    if (flags.live || flags.lab !== undefined || flags.cluster !== undefined) {
      if (flags.stdin) throw new UserError('--stdin places keys offline; for live details (--live, --lab, --cluster) give the keys as arguments.')
      return this.runLive(keys, flags)
    }
    const config = await readPoolConfig(flags['conf-file'] ?? DEFAULT_CONFIG_FILE)
    const placements = choosePools(config, flags.pool).map((pool) => new PoolPlacement(pool))
    for (const placement of placements.filter((p) => !p.deterministic)) {
      this.note(`Pool ${placement.pool.name} uses distribution random: nutcracker sends each request to any server, so no server is shown.`)
    }
    const poolNames = placements.map((p) => p.pool.name).join(', ')

    if (flags.stdin) {
      const format = this.jsonEnabled() ? 'json' : 'tsv'
      const count = await streamPlacements(process.stdin, process.stdout, placements, format)
      this.note(`${count} key${count === 1 ? '' : 's'} placed in ${placements.length === 1 ? 'pool' : 'pools'} ${poolNames}.`)
      return undefined
    }

    const placed = keys.flatMap((key) => placements.map((placement) => placement.place(key)))
    if (!this.jsonEnabled()) {
      this.log(renderTable(['key', 'pool', 'server', 'address', 'hash', 'slot'],
        placed.map((p) => [p.key, p.pool, p.server ?? '(random)', p.address ?? '(random)', p.hash, p.slot])))
    }
    return placed
  }

  private async runLive(keys: string[], flags: {'conf-file'?: string; pool?: string[]; lab?: string; cluster?: string; password?: string}): Promise<LiveWhere[]> {
    if ((flags.pool?.length ?? 0) > 1) throw new UserError('Live details look at one pool\'s servers: give --pool once with --live.')
    // the live path's modules (the client library among them) load only here: placing keys
    // offline is the common call and must start fast
    const [{inspectKeys}, {openTarget}, {PoolTarget}] = await Promise.all([
      import('../../src/keys/where-live.js'), import('../../src/lab/target.js'), import('../../src/targets/pool.js'),
    ])
    const target = await openTarget(flags['conf-file'] === undefined
      ? {lab: flags.lab, cluster: flags.cluster, password: flags.password}
      : {config: flags['conf-file'], pool: flags.pool?.[0], password: flags.password})
    try {
      const bytes = keys.map((key) => Buffer.from(key, 'utf8'))
      const states = await inspectKeys(target, bytes)
      const placement = target instanceof PoolTarget ? new PoolPlacement(target.pool) : undefined
      const rows: LiveWhere[] = keys.map((key, index) => {
        const state = states[index]
        const offline = placement?.place(key)
        return {
          key,
          ...(offline ? {pool: offline.pool} : {}),
          server: state.owner.name,
          address: state.owner.address,
          ...(offline ? {hash: offline.hash} : {}),
          slot: offline?.slot ?? keySlot(key),
          exists: state.exists,
          type: state.type,
          ttlMs: state.ttlMs,
          memoryBytes: state.memoryBytes,
          status: state.status,
          foundOn: state.foundOn.map((node) => node.name),
        }
      })
      if (!this.jsonEnabled()) {
        this.log(target.description)
        this.log(renderTable(['key', target.kind === 'cluster' ? 'node' : 'server', 'slot', 'exists', 'type', 'ttl', 'memory', 'status'],
          rows.map((row) => [
            row.key,
            row.server === row.address ? row.address : `${row.server} (${row.address})`,
            row.slot,
            row.exists ? 'yes' : 'no',
            row.type ?? '-',
            ttlText(row.ttlMs),
            row.memoryBytes === null ? '-' : formatBytes(row.memoryBytes),
            row.status === 'ok' || row.status === 'missing' ? row.status : `${row.status}: on ${row.foundOn.join(', ')}`,
          ])))
      }
      return rows
    } finally {
      await target.close()
    }
  }
}

/** One key looked up live: the offline placement (pools) plus what the servers say. */
export interface LiveWhere {
  key: string
  keyHex?: string
  pool?: string
  /** the server (pool) or node (cluster, by address) the key belongs on */
  server: string
  address: string
  hash?: number
  slot: number
  exists: boolean
  type: string | null
  ttlMs: number | null
  memoryBytes: number | null
  /** ok, misplaced (elsewhere, not on its owner), duplicated (on its owner and elsewhere), missing */
  status: LiveStatus
  /** names of the servers or nodes that hold a key of this name */
  foundOn: string[]
}

function ttlText(ttlMs: number | null): string {
  if (ttlMs === null) return '-'
  return ttlMs === -1 ? 'none' : `${(ttlMs / 1000).toFixed(1)} s`
}
