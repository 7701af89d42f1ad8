// `keys dist`: how keys (and memory) are spread over the nodes of a target, beside the share
// hashing predicts. Either a full SCAN of every node in parallel, or an estimate from N
// generated keys placed by the target's own hashing without touching the servers.
import {createHash} from 'node:crypto'
import type {Redis} from 'ioredis'
import type {Target, TargetNode} from '../targets/types.js'
import {keyToJson} from '../key-text.js'
import {predictedShares} from './predicted.js'
import {countByScan, DEFAULT_SCAN_COUNT, keyCount, scanServer} from './scan.js'
import {type Spread, spreadOf} from './spread.js'
import {TopKeys} from './top-keys.js'

export interface NodeDistribution {
  id: string
  name: string
  address: string
  keys: number
  /** sum of MEMORY USAGE over the node's keys, when memory was asked for */
  memoryBytes?: number
  /** this node's keys / all keys */
  share: number
  /** the share hashing (ketama arcs, weights, or owned slots) predicts */
  predictedShare: number
}

export interface TopKey {
  key: string
  keyBase64?: string
  node: string
  bytes: number
}

export interface DistributionReport {
  target: string
  kind: Target['kind']
  /** scan: every key counted; sample: an estimate from generated keys */
  mode: 'scan' | 'sample'
  nodes: NodeDistribution[]
  totalKeys: number
  totalMemoryBytes?: number
  spread: Spread
  seconds: number
  keysPerSecond: number
  top?: TopKey[]
}

export interface ScanDistributionOptions {
  /** MEMORY USAGE for every key, pipelined per SCAN batch */
  memory?: boolean
  /** keep the N largest keys (needs memory, which it turns on) */
  top?: number
  /** SCAN COUNT hint */
  count?: number
  /** called once with the DBSIZE total before scanning starts */
  onStart?: (expectedKeys: number) => void
  /** called after each batch with the number of keys scanned so far, over all nodes */
  onProgress?: (scannedKeys: number) => void
}

export async function scanDistribution(target: Target, options: ScanDistributionOptions = {}): Promise<DistributionReport> {
  const nodes = target.nodes()
  const withMemory = Boolean(options.memory || options.top)
  const top = options.top ? new TopKeys(options.top) : undefined
  const expected = await Promise.all(nodes.map((node) => keyCount(target.client(node))))
  options.onStart?.(expected.reduce((sum, count) => sum + count, 0))

  const started = process.hrtime.bigint()
  let scanned = 0
  const perNode = await Promise.all(nodes.map(async (node) => {
    const client = target.client(node)
    let keys = 0
    let memoryBytes = 0
    if (!withMemory) {
      keys = await countByScan(client, {
        count: options.count ?? DEFAULT_SCAN_COUNT,
        onCount: (batch) => {
          scanned += batch
          options.onProgress?.(scanned)
        },
      })
      return {keys, memoryBytes}
    }
    await scanServer(client, {
      count: options.count ?? DEFAULT_SCAN_COUNT,
      onKeys: async (batch) => {
        keys += batch.length
        const sizes = await memoryUsage(client, batch)
        for (let i = 0; i < batch.length; i++) {
          memoryBytes += sizes[i]
          top?.offer(batch[i], node.name, sizes[i])
        }
        scanned += batch.length
        options.onProgress?.(scanned)
      },
    })
    return {keys, memoryBytes}
  }))
  const seconds = Number(process.hrtime.bigint() - started) / 1e9

  const counts = perNode.map((result) => result.keys)
  const report = buildReport(target, nodes, counts, 'scan', seconds)
  if (withMemory) {
    report.nodes.forEach((entry, index) => (entry.memoryBytes = perNode[index].memoryBytes))
    report.totalMemoryBytes = perNode.reduce((sum, result) => sum + result.memoryBytes, 0)
  }
  if (top) report.top = top.sorted().map((entry) => ({...keyToJson(entry.key), node: entry.node, bytes: entry.bytes}))
  return report
}

export interface SampleDistributionOptions {
  /** how many keys to generate */
  keys: number
  /** generated keys are PREFIX + 0..N-1 */
  prefix?: string
}

/** Places N generated keys with the target's hashing (no server is touched) and counts them per node. */
export function sampleDistribution(target: Target, options: SampleDistributionOptions): DistributionReport {
  const nodes = target.nodes()
  const indexOf = new Map(nodes.map((node, index) => [node.id, index]))
  const counts = new Array<number>(nodes.length).fill(0)
  const prefix = options.prefix ?? 'key:'
  const started = process.hrtime.bigint()
  for (let i = 0; i < options.keys; i++) {
    const owner = target.ownerOf(prefix + i)
    counts[indexOf.get(owner.id)!]++
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  return buildReport(target, nodes, counts, 'sample', seconds)
}

function buildReport(target: Target, nodes: TargetNode[], counts: number[], mode: 'scan' | 'sample', seconds: number): DistributionReport {
  const predicted = predictedShares(target)
  const totalKeys = counts.reduce((sum, count) => sum + count, 0)
  return {
    target: target.description,
    kind: target.kind,
    mode,
    nodes: nodes.map((node, index) => ({
      id: node.id,
      name: node.name,
      address: node.address,
      keys: counts[index],
      share: totalKeys === 0 ? 0 : counts[index] / totalKeys,
      predictedShare: predicted.get(node.id) ?? 0,
    })),
    totalKeys,
    spread: spreadOf(counts),
    seconds,
    keysPerSecond: seconds > 0 ? totalKeys / seconds : 0,
  }
}

// MEMORY USAGE of a whole SCAN batch in one call: keys go in ARGV (a cluster node rejects
// declared keys of different slots), and the flag lets the script touch keys of several slots.
// A key that vanished, or that a cluster node will not serve (a slot it does not own), is 0.
const MEMORY_SCRIPT = `#!lua flags=no-writes,allow-cross-slot-keys
local sizes = {}
for i, key in ipairs(ARGV) do
  local ok, size = pcall(redis.call, 'MEMORY', 'USAGE', key)
  sizes[i] = (ok and size) or 0
end
return sizes`
const MEMORY_SCRIPT_SHA = createHash('sha1').update(MEMORY_SCRIPT).digest('hex')

/** Servers where the script cannot run (before Redis 7, scripting disabled): pipelines instead. */
const noScript = new WeakSet<Redis>()

async function memoryUsage(client: Redis, keys: Buffer[]): Promise<number[]> {
  if (!noScript.has(client)) {
    try {
      const sizes = await client.evalsha(MEMORY_SCRIPT_SHA, 0, ...keys).catch((error: Error) => {
        if (/NOSCRIPT/.test(error.message)) return client.eval(MEMORY_SCRIPT, 0, ...keys)
        throw error
      })
      return (sizes as unknown[]).map((size) => Number(size) || 0)
    } catch {
      noScript.add(client)
    }
  }
  const pipeline = client.pipeline()
  for (const key of keys) pipeline.call('MEMORY', 'USAGE', key)
  const results = (await pipeline.exec()) ?? []
  return results.map(([error, value]) => (error || typeof value !== 'number' ? 0 : value))
}
