// Both ends of a migration, opened together the same way by `migrate` and `migrate verify`:
// the sources (source/source-options.ts), then the target cluster; if the target cannot be
// reached, the sources are closed again so nothing is left connected.
import {parseAddress, type Address} from '../address.js'
import {UserError} from '../errors.js'
import {openSources, type SourceOptions} from './source/source-options.js'
import type {SourceSet} from './source/sources.js'
import {connectTarget, type MigrationTarget} from './target/migration-target.js'
import {existingTargetLab, NEW_LAB_CLUSTER, sourceLabOf} from './target/target-lab.js'

export interface Endpoints {
  sources: SourceSet
  target: MigrationTarget
  close(): Promise<void>
}

/** `toCluster`: a node of the target, as given to --to-cluster, or already parsed. */
export async function openEndpoints(source: SourceOptions, toCluster: string | Address): Promise<Endpoints> {
  const targetAddress = typeof toCluster === 'string' ? parseAddress(toCluster, {what: '--to-cluster'}) : toCluster
  const sources = await openSources(source)
  try {
    const target = await connectTarget(targetAddress)
    return {sources, target, close: async () => void (await Promise.allSettled([sources.close(), target.close()]))}
  } catch (error) {
    await sources.close()
    throw error
  }
}

/**
 * The ends `migrate verify` compares. A bare --to-cluster (NEW_LAB_CLUSTER) is the lab cluster an
 * earlier `migrate --to-cluster` made for the source lab: it must be running, since verify only
 * reads.
 */
export async function openEndpointsToVerify(source: SourceOptions, toCluster: string): Promise<Endpoints> {
  if (toCluster !== NEW_LAB_CLUSTER) return openEndpoints(source, toCluster)
  const sourceLab = sourceLabOf(source)
  if (!sourceLab) {
    throw new UserError('--to-cluster without an address means the lab cluster made for a lab source: give --lab NAME, or give --to-cluster HOST:PORT.')
  }
  // The source lab is pinned by name: its target lab makes "the only running lab" ambiguous.
  return openEndpoints({...source, lab: sourceLab.name}, existingTargetLab(sourceLab, 'verify only reads').address)
}
