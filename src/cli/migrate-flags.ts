// The flags `twlab migrate` and `twlab migrate verify` share: where the keys come from (a pool's
// servers by -c or --lab, bare --from servers, a cluster, a Sentinel group, RDB files), where
// they go (--to-cluster, or --to-pool: the pool of -c or --lab, for the way back from a cluster),
// and the bare `--to-cluster` that stands for the source lab's own cluster. What they mean is src/migrate's (source/source-options.ts,
// target/target-lab.ts); this is only how they are spelled.
import {Flags} from '@oclif/core'
import {connectionFlags} from './target-flags.js'
import type {SourceOptions} from '../migrate/source/source-options.js'
import {NEW_LAB_CLUSTER} from '../migrate/target/target-lab.js'

const SOURCE_GROUP = 'SOURCE'

const SERVER_SOURCES = ['from', 'from-cluster', 'from-sentinel', 'from-rdb']
const others = (name: string) => SERVER_SOURCES.filter((other) => other !== name)

export const migrateSourceFlags = {
  from: Flags.string({
    description: 'source servers, HOST:PORT,... (without a pool config: the first listed wins a key found on several)',
    exclusive: ['lab', 'config', ...others('from')],
    helpGroup: SOURCE_GROUP,
  }),
  'from-cluster': Flags.string({
    description: 'a node of a source Redis Cluster, HOST:PORT: every master is read',
    exclusive: others('from-cluster'),
    helpGroup: SOURCE_GROUP,
  }),
  'from-sentinel': Flags.string({
    description: 'a Sentinel, HOST:PORT: the master of the group --master is read, followed through a failover',
    exclusive: ['lab', 'config', ...others('from-sentinel')],
    dependsOn: ['master'],
    helpGroup: SOURCE_GROUP,
  }),
  master: Flags.string({
    description: 'with --from-sentinel: the name the group is monitored under',
    dependsOn: ['from-sentinel'],
    helpGroup: SOURCE_GROUP,
  }),
  'from-rdb': Flags.string({
    description: 'RDB files (backups) restored straight into the target, no server started; repeat for several',
    multiple: true,
    exclusive: ['lab', 'config', ...others('from-rdb')],
    helpGroup: SOURCE_GROUP,
  }),
  db: Flags.integer({
    description: 'with --from-rdb: the database of the files to restore (others are skipped and counted)',
    default: 0,
    min: 0,
    helpGroup: SOURCE_GROUP,
  }),
  lab: Flags.string({
    description: 'a pool lab started by `twlab up` (default: the only running lab); with --to-pool, the pool written to',
    exclusive: ['config', 'from', 'from-sentinel', 'from-rdb'],
    helpGroup: SOURCE_GROUP,
  }),
  config: Flags.string({
    char: 'c',
    description: 'a nutcracker.yml: its pool is migrated, and its hashing settles duplicates; with --to-pool, the pool written to',
    exclusive: ['lab', 'from', 'from-sentinel', 'from-rdb'],
    helpGroup: SOURCE_GROUP,
  }),
  pool: Flags.string({
    description: 'the pool of --config (default: the only pool)',
    dependsOn: ['config'],
    helpGroup: SOURCE_GROUP,
  }),
  password: Flags.string({
    description: 'password for the source servers (default: redis_auth of the pool, or the lab\'s)',
    env: 'TWLAB_PASSWORD',
    helpGroup: SOURCE_GROUP,
  }),
  ...connectionFlags,
}

/** The source options of src/migrate from the parsed flags (both commands spell them alike). */
export function sourceOptionsOf(flags: {from?: string; 'from-cluster'?: string; 'from-sentinel'?: string; master?: string;
  'from-rdb'?: string[]; db: number; lab?: string; config?: string; pool?: string; password?: string}): SourceOptions {
  return {
    from: flags.from, fromCluster: flags['from-cluster'], fromSentinel: flags['from-sentinel'], master: flags.master,
    fromRdb: flags['from-rdb'], db: flags.db, lab: flags.lab, config: flags.config, pool: flags.pool, password: flags.password,
  }
}

/**
 * `--to-cluster` given without a value (last on the line, or followed by another flag) means
 * "the source lab's own cluster": oclif flags always take a value, so it gets NEW_LAB_CLUSTER.
 */
export function withBareToCluster(argv: string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    out.push(argv[i])
    if (argv[i] === '--to-cluster' && (i + 1 >= argv.length || argv[i + 1].startsWith('-'))) out.push(NEW_LAB_CLUSTER)
  }
  return out
}
