// Shared set-up for migration tests: standalone sources, a target cluster, clients to both,
// a temp dir for checkpoints, and the same teardown (everything stopped by PID).
import {rmSync} from 'node:fs'
import {join} from 'node:path'
import {Cluster, Redis} from 'ioredis'
import {startRedis, stopAll, tempDir, type RunningServer} from '../support/servers.js'
import {startCluster, type TestCluster} from './cluster-support.js'

export interface Harness {
  sources: RunningServer[]
  clients: Redis[]
  cluster: TestCluster
  target: Cluster
  dir: string
  /** --from value */
  from: string
  checkpoint(name: string): string
  stop(): Promise<void>
}

export async function startHarness(sourceCount: number, clusterOptions: Parameters<typeof startCluster>[0] = {}): Promise<Harness> {
  const sources: RunningServer[] = []
  const clients: Redis[] = []
  const dir = tempDir('twlab-migrate-test-')
  let cluster: TestCluster | undefined
  let target: Cluster | undefined
  const stop = async () => {
    for (const c of clients) c.disconnect()
    target?.disconnect()
    await cluster?.stop()
    await stopAll()
    rmSync(dir, {recursive: true, force: true})
  }
  try {
    for (let i = 0; i < sourceCount; i++) {
      const server = await startRedis()
      sources.push(server)
      clients.push(new Redis({host: '127.0.0.1', port: server.port}))
    }
    cluster = await startCluster(clusterOptions)
    target = new Cluster([{host: '127.0.0.1', port: cluster.masters[0].port}], {scaleReads: 'master'})
    await target.ping()
  } catch (error) {
    await stop()
    throw error
  }
  return {
    sources, clients, cluster, target, dir,
    from: sources.map((s) => `127.0.0.1:${s.port}`).join(','),
    checkpoint: (name) => join(dir, `${name}.json`),
    stop,
  }
}

/** Keys on every master of the target. */
export async function targetKeyCount(harness: Harness): Promise<number> {
  let total = 0
  for (const master of harness.cluster.masters) {
    const client = new Redis({host: '127.0.0.1', port: master.port})
    total += await client.dbsize()
    client.disconnect()
  }
  return total
}

export async function sourceKeyCount(harness: Harness): Promise<number> {
  let total = 0
  for (const client of harness.clients) total += await client.dbsize()
  return total
}
