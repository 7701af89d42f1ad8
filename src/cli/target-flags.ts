// The flags that say which live data a command works on, the same for every command: `--lab NAME`,
// `-c nutcracker.yml [--pool NAME]`, or `--cluster HOST:PORT`, and `--password`; and how servers
// are reached, as redis-cli spells it: `--tls` with `--cacert`/`--cert`/`--key`, and `--user`.
// BaseCommand hands the connection flags, once parsed, to the client factory
// (applyConnectionFlags), so every client of every tool uses them; a lab made with --tls is
// reached with its own certificates without them.
import {Flags} from '@oclif/core'
import {UserError} from '../errors.js'
import {setCommandAccess} from '../targets/connection-access.js'

const TARGET_GROUP = 'TARGET'
const CONNECTION_GROUP = 'CONNECTION'

export const connectionFlags = {
  tls: Flags.boolean({description: 'reach the servers over TLS (as redis-cli --tls)', env: 'TWLAB_TLS', helpGroup: CONNECTION_GROUP}),
  cacert: Flags.string({description: 'CA certificate file the servers\' certificates are checked against (default: the system\'s CAs)', env: 'TWLAB_CACERT', helpGroup: CONNECTION_GROUP, helpValue: 'FILE'}),
  cert: Flags.string({description: 'client certificate file, for servers that ask for one', env: 'TWLAB_CERT', helpGroup: CONNECTION_GROUP, helpValue: 'FILE'}),
  key: Flags.string({description: 'private key file of --cert', env: 'TWLAB_KEY', helpGroup: CONNECTION_GROUP, helpValue: 'FILE'}),
  user: Flags.string({description: 'ACL user name for --password (default: the default user)', env: 'TWLAB_USER', helpGroup: CONNECTION_GROUP, helpValue: 'NAME'}),
}

/** Hands --tls/--cacert/--cert/--key/--user to the client factory; one sentence for a half-given pair. */
export function applyConnectionFlags(flags: Record<string, unknown>): void {
  const tlsGiven = flags.tls === true || ['cacert', 'cert', 'key'].some((name) => typeof flags[name] === 'string')
  if (typeof flags.cert === 'string' && typeof flags.key !== 'string') throw new UserError('--cert needs --key: give the private key of the client certificate.')
  if (typeof flags.key === 'string' && typeof flags.cert !== 'string') throw new UserError('--key needs --cert: give the client certificate of the key.')
  setCommandAccess({
    tls: tlsGiven ? {caFile: flags.cacert as string | undefined, certFile: flags.cert as string | undefined, keyFile: flags.key as string | undefined} : undefined,
    username: typeof flags.user === 'string' ? flags.user : undefined,
  })
}

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
  ...connectionFlags,
}

