// read_from: where a Sentinel-backed or cluster-backed pool sends read-only commands (nutcracker
// #148, #455, #499). `master` (the default) is nutcracker's behaviour. `replica` sends reads to
// the master's replicas, round robin, skipping a replica that is down; a lagging replica is used
// only when no replica is in step, and with no replica up at all reads go to the master (serving
// stale or from the master beats failing). `prefer-replica` sends reads to replicas that are up
// and in step (lag at most `replica_max_lag` seconds, master_link_status up) and to the master
// otherwise. Writes and everything else always go to the master. nutcracker rejects both keys.
import {ExtensionValueError, registerExtension} from '../extensions.js'
import {CLUSTER_KEY} from './cluster.js'
import {SENTINELS_KEY} from './sentinels.js'
import type {PoolConfig} from '../types.js'

export const READ_FROM_KEY = 'read_from'
export const REPLICA_MAX_LAG_KEY = 'replica_max_lag'

export const READ_FROM_VALUES = ['master', 'replica', 'prefer-replica'] as const
export type ReadFrom = (typeof READ_FROM_VALUES)[number]

/** A replica whose last acknowledgement is older than this (seconds) is lagging, by default. */
export const DEFAULT_REPLICA_MAX_LAG = 10

registerExtension({
  key: READ_FROM_KEY,
  description: 'read-only commands go to the masters\' replicas (replica, prefer-replica) or the master (master, the default); Sentinel or cluster pools',
  value: 'scalar',
  parse(value) {
    const text = String(value)
    if (!(READ_FROM_VALUES as readonly string[]).includes(text)) {
      throw new ExtensionValueError(`"${text}" is not a read_from value`, `Use one of: ${READ_FROM_VALUES.join(', ')}.`)
    }
    return text
  },
  format: (parsed) => String(parsed),
  check(pool) {
    if (pool.extensions[SENTINELS_KEY] === undefined && pool.extensions[CLUSTER_KEY] === undefined) {
      throw new ExtensionValueError('read_from is set on a pool without sentinels or cluster', 'Replicas are found through Sentinel or the cluster: add sentinels: or cluster:, or remove read_from.')
    }
  },
})

registerExtension({
  key: REPLICA_MAX_LAG_KEY,
  description: `read_from: a replica whose master heard from it longer ago than this many seconds is lagging (default ${DEFAULT_REPLICA_MAX_LAG})`,
  value: 'scalar',
  parse(value) {
    const text = String(value)
    if (!/^\d{1,6}$/.test(text)) throw new ExtensionValueError(`"${text}" is not a number of seconds`, 'Write a whole number of seconds, as in 10.')
    return Number(text)
  },
  format: (parsed) => String(parsed),
  check(pool) {
    if (pool.extensions[READ_FROM_KEY] === undefined) throw new ExtensionValueError('replica_max_lag is set without read_from', 'Add read_from: prefer-replica (or replica), or remove replica_max_lag.')
  },
})

/** Where the pool's reads go. */
export function readFromOf(pool: PoolConfig): ReadFrom {
  return (pool.extensions[READ_FROM_KEY] as ReadFrom | undefined) ?? 'master'
}

/** The lag (seconds) over which a replica counts as lagging. */
export function replicaMaxLagOf(pool: PoolConfig): number {
  return (pool.extensions[REPLICA_MAX_LAG_KEY] as number | undefined) ?? DEFAULT_REPLICA_MAX_LAG
}
