// Shared by the tests that follow a cluster source by replication: the checkpoint's replication
// positions, a bounded wait, a writer of mixed changes through a cluster client (counted, so an
// increment applied twice or lost shows), and a key-by-key comparison of the source cluster's
// current masters with the target.
import assert from 'node:assert/strict'
import {existsSync, readFileSync} from 'node:fs'
import {Redis, type Cluster} from 'ioredis'
import {sleep} from '../support/servers.js'
import type {TestCluster} from './cluster-support.js'
import {allKeys, assertSameKeys} from './key-compare.js'

export interface Position {
  replid: string
  offset: number
  snapshotLoaded: boolean
}

export function positions(checkpoint: string): Array<Position | null> | undefined {
  if (!existsSync(checkpoint)) return undefined
  try {
    return (JSON.parse(readFileSync(checkpoint, 'utf8')) as {replication?: Array<Position | null>}).replication
  } catch {
    return undefined // caught mid-rename
  }
}

/** every source's snapshot loaded and its stream applied past `offsets` (per source) */
export function streamsPast(checkpoint: string, offsets: number[] = []): boolean {
  const now = positions(checkpoint)
  return now !== undefined && now.length > 0 && now.every((p, i) => p !== null && p.snapshotLoaded && p.offset > (offsets[i] ?? 0))
}

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (let i = 0; i < 10_000 && Date.now() < deadline; i++) {
    if (await check()) return
    await sleep(50)
  }
  assert.fail(`timed out waiting for ${what}`)
}

/** Mixed writes through a cluster client; `counter` is incremented once per round. */
export class ClusterWriter {
  rounds = 0

  constructor(private readonly client: Cluster, private readonly prefix: string, private readonly counter = `${prefix}:counter`) {}

  async round(): Promise<void> {
    const r = this.rounds
    const p = this.prefix
    await Promise.all([
      this.client.set(`${p}:live:${r}`, `v${r}`),
      this.client.incr(this.counter),
      this.client.hset(`${p}:hash:${r % 17}`, 'round', String(r)),
      this.client.rpush(`${p}:list:${r % 5}`, String(r)),
      this.client.set(`${p}:ttl:${r}`, 'x', 'PX', 3_600_000 + r),
      r % 4 === 0 ? this.client.del(`${p}:live:${r - 2}`) : Promise.resolve(0),
      r % 6 === 0 ? this.client.pexpire(`${p}:hash:${(r + 3) % 17}`, 7_200_000) : Promise.resolve(0),
    ])
    this.rounds++
  }
}

/** The clients of the cluster's nodes that are masters now (a failover swaps roles). */
export async function currentMasters(cluster: TestCluster): Promise<Redis[]> {
  const masters: Redis[] = []
  for (const node of [...cluster.masters, ...cluster.replicas]) {
    const client = new Redis({port: node.port, maxRetriesPerRequest: 1})
    const role = (await client.call('ROLE')) as unknown[]
    if (role[0] === 'master') masters.push(client)
    else client.disconnect()
  }
  return masters
}

/** Every key of the source cluster reads the same on the target (type, value, expiry), and the target holds no other. */
export async function assertClustersEqual(source: TestCluster, sourceClient: Cluster, target: TestCluster, targetClient: Cluster): Promise<number> {
  const masters = await currentMasters(source)
  const keys = await allKeys(masters)
  for (const m of masters) m.disconnect()
  let targetCount = 0
  for (const master of target.masters) {
    const client = new Redis({port: master.port, maxRetriesPerRequest: 1})
    targetCount += await client.dbsize()
    client.disconnect()
  }
  return assertSameKeys(keys, () => sourceClient, () => targetClient, targetCount)
}
