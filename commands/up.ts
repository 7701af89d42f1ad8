import {Flags} from '@oclif/core'
import {BaseCommand} from '../src/cli/base-command.js'
import {renderTable} from '../src/cli/table.js'
import {UserError} from '../src/errors.js'
import {DISTRIBUTIONS, HASH_NAMES, type Distribution, type HashName} from '../src/config/types.js'
import {DEFAULT_LAB_NAME} from '../src/lab/home.js'
import {upLab} from '../src/lab/up.js'
import type {UpOptions} from '../src/lab/plan.js'
import {defaultProxy} from '../src/lab/binaries.js'
import {connectHint} from '../src/lab/summary.js'
import {catalogNames, SYSTEM_SERVER} from '../src/servers/catalog.js'
import type {ProxyKind, Topology} from '../src/lab/state.js'

export default class Up extends BaseCommand {
  static override summary = 'Start a local lab: a proxied pool, Sentinel groups, or a Redis Cluster.'
  static override description = 'Starts real redis-server (and redis-sentinel, proxy) processes from templates, in the background, and records them in $TWLAB_HOME. Returns once the topology is ready.'
  static override examples = [
    '<%= config.bin %> up',
    '<%= config.bin %> up --cluster --masters 3 --replicas 1',
    '<%= config.bin %> up --sentinel --lab ha --replicas 2',
    '<%= config.bin %> up --proxy nutcracker --hash murmur --distribution modula --lab cmp',
    '<%= config.bin %> up --cluster --server valkey-9.1',
    '<%= config.bin %> up --lab scratch --ephemeral',
    '<%= config.bin %> up --sentinel --tls --user app --password s3cret --read-from replica',
  ]

  static override flags = {
    lab: Flags.string({char: 'n', aliases: ['name'], description: 'lab name (several labs can run side by side); a stopped lab of that name starts again with its data; --name is the same', default: DEFAULT_LAB_NAME, helpValue: 'NAME'}),
    topology: Flags.string({char: 't', description: 'what to build', options: ['pool', 'sentinel', 'cluster'], exclusive: ['cluster', 'sentinel']}),
    cluster: Flags.boolean({description: 'same as --topology cluster', exclusive: ['topology', 'sentinel']}),
    sentinel: Flags.boolean({description: 'same as --topology sentinel', exclusive: ['topology', 'cluster']}),
    masters: Flags.integer({char: 'm', description: 'number of masters (default 3)'}),
    replicas: Flags.integer({char: 'r', description: 'replicas per master (default 0 for a pool, 1 for sentinel and cluster)'}),
    proxy: Flags.string({description: 'proxy in front of a pool or sentinel lab (default twproxy; none for a cluster)', options: ['twproxy', 'nutcracker', 'none']}),
    hash: Flags.string({description: 'pool hash function', options: [...HASH_NAMES], default: 'fnv1a_64'}),
    distribution: Flags.string({description: 'pool key distribution', options: [...DISTRIBUTIONS], default: 'ketama'}),
    'base-port': Flags.integer({description: 'first port of the lab (default: the first free block from 21000, cluster bus ports kept out of the ephemeral range)'}),
    ephemeral: Flags.boolean({description: 'keep no data: nodes start empty after a stop (by default a lab keeps every key across stop/start and down/up)', default: false}),
    password: Flags.string({description: 'requirepass on every node (and redis_auth in the pool)'}),
    user: Flags.string({description: 'an ACL user with --password on every node (all commands and keys), reached by the proxy as redis_user; the default user keeps --password too', dependsOn: ['password'], helpValue: 'NAME'}),
    tls: Flags.boolean({description: 'a local CA and certificate (openssl); every node, sentinel and twproxy listens with TLS only (replication and cluster bus too); see `twlab status --json` .tls', default: false}),
    'read-from': Flags.string({description: 'where twproxy sends read-only commands of a Sentinel lab (pool key read_from)', options: ['master', 'replica', 'prefer-replica']}),
    'redis-bin': Flags.string({description: 'folder holding redis-server and redis-sentinel (default: PATH)'}),
    server: Flags.string({description: `server every node runs: system (redis-server on PATH, the default) or ${catalogNames().join(', ')}, fetched first if \`twlab servers add\` has not (see \`twlab servers ls\`)`, default: SYSTEM_SERVER}),
    'node-timeout': Flags.integer({description: 'cluster-node-timeout in ms (cluster labs)', default: 2000}),
    'down-after': Flags.integer({description: 'Sentinel down-after-milliseconds (sentinel labs)', default: 1000}),
  }

  async run(): Promise<Record<string, unknown>> {
    const {flags} = await this.parse(Up)
    const givenTopology = (flags.cluster ? 'cluster' : flags.sentinel ? 'sentinel' : flags.topology) as Topology | undefined
    const topology = givenTopology ?? 'pool'
    if (topology === 'cluster' && flags.proxy && flags.proxy !== 'none') {
      throw new UserError(`A cluster lab is reached natively, not through ${flags.proxy}: drop --proxy or use --topology pool.`)
    }
    let proxy = (topology === 'cluster' ? 'none' : flags.proxy) as ProxyKind | undefined
    if (proxy === undefined) {
      const fallback = defaultProxy()
      if (fallback.note) this.note(fallback.note)
      proxy = fallback.kind
    }
    const {lab, elapsedMs} = await upLab({
      name: flags.lab,
      topology,
      masters: flags.masters ?? 3,
      replicas: flags.replicas ?? (topology === 'pool' ? 0 : 1),
      proxy,
      hash: flags.hash as HashName,
      distribution: flags.distribution as Distribution,
      host: '127.0.0.1',
      password: flags.password,
      user: flags.user,
      tls: flags.tls,
      readFrom: flags['read-from'] as UpOptions['readFrom'],
      redisBin: flags['redis-bin'],
      server: flags.server,
      nodeTimeoutMs: flags['node-timeout'],
      downAfterMs: flags['down-after'],
      failoverTimeoutMs: 5000,
      ephemeral: flags.ephemeral,
      given: {topology: givenTopology, masters: flags.masters, replicas: flags.replicas},
    }, flags['base-port'], (message) => this.note(message))

    if (!this.jsonEnabled()) {
      this.log(renderTable(['node', 'role', 'address', 'pid', 'follows', 'server'], lab.nodes.map((node) => [
        node.name, node.role, `${node.host}:${node.port}`, node.pid, node.master ?? '',
        node.server ? `${node.server.name}${node.server.version ? ` (${node.server.product} ${node.server.version})` : ''}` : '',
      ])))
      this.log(`Lab "${lab.name}" (${lab.topology}) is up in ${(elapsedMs / 1000).toFixed(2)} s.`)
      for (const line of connectHint(lab)) this.log(line)
    }
    return {...lab, elapsedMs}
  }
}
