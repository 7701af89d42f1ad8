// The flags `twlab migrate` and `twlab migrate verify` share: where the keys come from (a pool's
// servers by -c or --lab, or bare --from servers), and the bare `--to-cluster` that stands for
// the source lab's own cluster. What they mean is src/migrate's (source/source-options.ts,
// target/target-lab.ts); this is only how they are spelled.
import {Flags} from '@oclif/core'
import {connectionFlags} from './target-flags.js'
import {NEW_LAB_CLUSTER} from '../migrate/target/target-lab.js'

const SOURCE_GROUP = 'SOURCE'

export const migrateSourceFlags = {
  from: Flags.string({
    description: 'source servers, HOST:PORT,... (without a pool config: the first listed wins a key found on several)',
    exclusive: ['lab', 'config'],
    helpGroup: SOURCE_GROUP,
  }),
  lab: Flags.string({
    description: 'a pool lab started by `twlab up` (default: the only running lab)',
    exclusive: ['config', 'from'],
    helpGroup: SOURCE_GROUP,
  }),
  config: Flags.string({
    char: 'c',
    description: 'a nutcracker.yml: its pool is migrated, and its hashing settles duplicates',
    exclusive: ['lab', 'from'],
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
