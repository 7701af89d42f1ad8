// The flags that say which live data a command works on, the same for every command: `--lab NAME`,
// `-c nutcracker.yml [--pool NAME]`, or `--cluster HOST:PORT`, and `--password`.
import {Flags} from '@oclif/core'

const TARGET_GROUP = 'TARGET'

export const targetFlags = {
  lab: Flags.string({
    description: 'a lab started by `twlab up` (default: the only running lab)',
    exclusive: ['config', 'cluster'],
    helpGroup: TARGET_GROUP,
  }),
  config: Flags.string({
    char: 'c',
    description: 'a nutcracker.yml: its pool\'s servers hold the keys',
    exclusive: ['lab', 'cluster'],
    helpGroup: TARGET_GROUP,
  }),
  pool: Flags.string({
    description: 'the pool of --config (default: the only pool)',
    dependsOn: ['config'],
    helpGroup: TARGET_GROUP,
  }),
  cluster: Flags.string({
    description: 'any node of a Redis Cluster, as HOST:PORT (the slot map is discovered)',
    exclusive: ['lab', 'config'],
    helpGroup: TARGET_GROUP,
  }),
  password: Flags.string({
    description: 'password for the servers (default: redis_auth of the pool, or the lab\'s)',
    env: 'TWLAB_PASSWORD',
    helpGroup: TARGET_GROUP,
  }),
}

