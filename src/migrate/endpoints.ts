// Both ends of a migration, opened together the same way by `migrate` and `migrate verify`:
// the sources from the source flags, then the target cluster; if the target cannot be reached,
// the sources are closed again so nothing is left connected.
import {parseAddress, type Address} from './source/address.js'
import {connectCluster, type ClusterTarget} from './target/cluster-target.js'
import {openSources, type SourceFlags} from './source/source-options.js'

export async function openEndpoints(flags: SourceFlags & {'to-cluster': string}): Promise<{
  sources: Awaited<ReturnType<typeof openSources>>
  target: ClusterTarget
  targetAddress: Address
}> {
  const targetAddress = parseAddress(flags['to-cluster'], '--to-cluster')
  const sources = await openSources(flags)
  try {
    return {sources, target: await connectCluster(targetAddress), targetAddress}
  } catch (error) {
    await sources.close()
    throw error
  }
}
