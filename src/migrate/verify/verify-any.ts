// `twlab migrate verify` for every kind of source: servers, a pool, a cluster or a Sentinel group
// against a cluster (verify.ts); RDB files against a cluster (rdb/rdb-verify.ts); a cluster
// against a pool, for the way back (reverse/reverse-verify.ts). Opens the ends, compares, closes.
import {formatAddress, parseAddress} from '../../address.js'
import {UserError} from '../../errors.js'
import {openEndpointsToVerify} from '../endpoints.js'
import {verifyRdbRestore} from '../rdb/rdb-verify.js'
import {openPoolTarget} from '../reverse/pool-target.js'
import {verifyClusterInPool} from '../reverse/reverse-verify.js'
import {openClusterSource} from '../source/cluster-source.js'
import type {SourceOptions} from '../source/source-options.js'
import {connectTarget} from '../target/migration-target.js'
import {NEW_LAB_CLUSTER} from '../target/target-lab.js'
import {verifyMigration, type VerifyReport} from './verify.js'

export interface VerifyRequest {
  source: SourceOptions
  /** a node of the target cluster (or NEW_LAB_CLUSTER); absent with toPool */
  toCluster?: string
  /** the pool of source.config / source.lab is the target, source.fromCluster the source */
  toPool: boolean
  ttlToleranceMs: number
  scanCount: number
}

export async function verifyAny(request: VerifyRequest, note: (message: string) => void): Promise<VerifyReport> {
  const {source} = request
  if (request.toPool) {
    if (!source.fromCluster) throw new UserError('--to-pool compares a cluster with a pool: give the cluster with --from-cluster HOST:PORT.')
    const pool = await openPoolTarget({lab: source.lab, config: source.config, pool: source.pool, password: source.password})
    try {
      const sources = await openClusterSource({seed: source.fromCluster, password: source.password})
      try {
        note(`Verifying ${sources.description} against ${pool.description}...`)
        return await verifyClusterInPool(sources, pool, request)
      } finally {
        await sources.close()
      }
    } finally {
      await pool.close()
    }
  }
  if (request.toCluster === undefined) throw new UserError('Give the target: --to-cluster HOST:PORT (or, from a cluster, --to-pool with -c nutcracker.yml or --lab NAME).', {exitCode: 2})
  if (source.fromRdb) {
    if (request.toCluster === NEW_LAB_CLUSTER) throw new UserError('--from-rdb needs the target\'s address: --to-cluster HOST:PORT.')
    const target = await connectTarget(parseAddress(request.toCluster, {what: '--to-cluster'}))
    try {
      note(`Verifying ${source.fromRdb.length} RDB file(s), db ${source.db ?? 0}, against cluster ${formatAddress(target.address)}...`)
      return await verifyRdbRestore(target, {files: source.fromRdb, db: source.db ?? 0, ttlToleranceMs: request.ttlToleranceMs})
    } finally {
      await target.close()
    }
  }
  const {sources, target, close} = await openEndpointsToVerify(source, request.toCluster)
  try {
    note(`Verifying ${sources.description} against cluster ${formatAddress(target.address)}...`)
    return await verifyMigration(sources, target, request)
  } finally {
    await close()
  }
}
