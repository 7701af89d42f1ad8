// The plan shown before a migration (and all of --dry-run): keys and bytes per source, big keys,
// cross-slot risks, and whether the target masters have room.
// - Bytes: MEMORY USAGE over a sample of SCANned keys, scaled to DBSIZE (or every key with a full plan).
// - Cross-slot risks: twemproxy keeps keys that share a hash_tag part on one server, so clients
//   may run multi-key commands on them; in the cluster they stay together only if they also share
//   a slot. Groups of sampled keys with one pool tag that land in several slots are "split";
//   keys that share a cluster {tag} but sit on different pool servers today are "joined"
//   (harmless for correctness, but their slot will carry their combined load).
// - Headroom: each master's INFO memory (used_memory, maxmemory) against its share of the
//   incoming bytes (by the slots it owns).
// - Payloads: whether the target takes the sources' DUMP payloads (an older target refuses a
//   newer server's RDB version); if not, keys are copied type by type, and the plan says so.
import {formatAddress} from '../address.js'
import {CLUSTER_SLOTS, HashTagRange, keySlot} from '../hashing/index.js'
import type {MigrationTarget} from './target/migration-target.js'
import {keyText} from '../key-text.js'
import type {SourceSet} from './source/sources.js'
import {checkPayloadPairing, type PayloadPairing} from './target/payload-pairing.js'

export interface SourcePlan {
  name: string
  address: string
  keys: number
  sampled: number
  bytes: number
  /** true when every key was measured (not an estimate) */
  exact: boolean
  bigKeys: Array<{key: string; bytes: number}>
}

export interface TargetMasterPlan {
  address: string
  slots: number
  usedMemory: number
  /** 0: no limit */
  maxMemory: number
  incomingBytes: number
  /** maxmemory - used - incoming; null without a limit */
  headroomBytes: number | null
}

export interface TagGroupExample {
  tag: string
  keys: string[]
  /** cluster slots (split) or pool servers (joined) the group spans */
  spans: Array<number | string>
}

export interface MigrationPlan {
  sources: SourcePlan[]
  totalKeys: number
  totalBytes: number
  target: TargetMasterPlan[]
  crossSlot: {
    poolHashTag?: string
    split: number
    splitExamples: TagGroupExample[]
    joined: number
    joinedExamples: TagGroupExample[]
  }
  /** RESTORE as usual, or type by type for a target older than a source */
  /** whether the target takes the sources' DUMP payloads (server sources; RDB files and the way back check their own) */
  payloads?: PayloadPairing
  warnings: string[]
}

export interface PlanOptions {
  /** keys measured per source; Infinity for all */
  sample: number
  bigKeyBytes: number
  scanCount: number
}

const EXAMPLES = 10

function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>()
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':')
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trim())
  }
  return fields
}

function clusterTag(key: Buffer): string | undefined {
  const start = key.indexOf(0x7b)
  if (start < 0) return undefined
  const end = key.indexOf(0x7d, start + 1)
  if (end < 0 || end === start + 1) return undefined
  return key.subarray(start + 1, end).toString('latin1')
}

export async function planMigration(sources: SourceSet, target: MigrationTarget, options: PlanOptions): Promise<MigrationPlan> {
  const warnings: string[] = []
  const poolTag = sources.hashTag ? new HashTagRange(sources.hashTag) : undefined
  const byPoolTag = new Map<string, {keys: Buffer[]; slots: Set<number>}>()
  const byClusterTag = new Map<string, {keys: Buffer[]; servers: Set<string>}>()

  const plans = await Promise.all(sources.sources.map(async (source): Promise<SourcePlan> => {
    const keys = Number(await source.client.dbsize())
    let sampled = 0
    let bytes = 0
    const bigKeys: SourcePlan['bigKeys'] = []
    let cursor = '0'
    for (let round = 0; round < 1e9 && sampled < options.sample; round++) {
      const [next, page] = await source.client.scanBuffer(cursor, 'COUNT', options.scanCount)
      cursor = next.toString()
      const pipeline = source.client.pipeline()
      for (const key of page) pipeline.memory('USAGE', key)
      const sizes = (await pipeline.exec()) ?? []
      for (const [i, key] of page.entries()) {
        const size = Number(sizes[i]?.[1] ?? 0)
        sampled++
        bytes += size
        if (size > options.bigKeyBytes) bigKeys.push({key: keyText(key), bytes: size})
        if (poolTag) {
          poolTag.apply(key, 0, key.length)
          if (poolTag.start !== 0 || poolTag.end !== key.length) {
            const tag = key.subarray(poolTag.start, poolTag.end).toString('latin1')
            let group = byPoolTag.get(tag)
            if (!group) byPoolTag.set(tag, (group = {keys: [], slots: new Set()}))
            if (group.keys.length < 5) group.keys.push(key)
            group.slots.add(keySlot(key))
          }
        }
        const tag = clusterTag(key)
        if (tag !== undefined) {
          let group = byClusterTag.get(tag)
          if (!group) byClusterTag.set(tag, (group = {keys: [], servers: new Set()}))
          if (group.keys.length < 5) group.keys.push(key)
          group.servers.add(source.name)
        }
      }
      if (cursor === '0') break
    }
    const exact = cursor === '0' || sampled >= keys
    const estimate = exact || sampled === 0 ? bytes : Math.round((bytes / sampled) * keys)
    bigKeys.sort((a, b) => b.bytes - a.bytes)
    return {name: source.name, address: formatAddress(source.address), keys, sampled, bytes: estimate, exact, bigKeys: bigKeys.slice(0, 50)}
  }))
  const totalKeys = plans.reduce((n, p) => n + p.keys, 0)
  const totalBytes = plans.reduce((n, p) => n + p.bytes, 0)

  const masters = target.masters()
  const slotsOwned = await slotCounts(target)
  const targetPlans = await Promise.all(masters.map(async (master): Promise<TargetMasterPlan> => {
    const address = `${master.options.host}:${master.options.port}`
    const info = parseInfo(await master.info('memory'))
    const usedMemory = Number(info.get('used_memory') ?? 0)
    const maxMemory = Number(info.get('maxmemory') ?? 0)
    const slots = slotsOwned.get(address) ?? 0
    const incomingBytes = Math.round((totalBytes * slots) / CLUSTER_SLOTS)
    const headroomBytes = maxMemory > 0 ? maxMemory - usedMemory - incomingBytes : null
    if (headroomBytes !== null && headroomBytes < 0) {
      warnings.push(`target master ${address} lacks room: maxmemory ${maxMemory} bytes, used ${usedMemory}, incoming about ${incomingBytes}.`)
    }
    return {address, slots, usedMemory, maxMemory, incomingBytes, headroomBytes}
  }))

  const payloads = await checkPayloadPairing(sources, target)
  if (payloads.note) warnings.push(payloads.note)
  const split = [...byPoolTag.entries()].filter(([, g]) => g.slots.size > 1)
  const joined = [...byClusterTag.entries()].filter(([, g]) => g.servers.size > 1)
  if (split.length > 0) {
    warnings.push(`${split.length} hash_tag group(s) that twemproxy keeps on one server land in several cluster slots: multi-key commands on them will fail with CROSSSLOT.`)
  }
  for (const p of plans) {
    if (p.bigKeys.length > 0) warnings.push(`${p.name} has ${p.bigKeys.length} big key(s) over ${options.bigKeyBytes} bytes${p.exact ? '' : ' in the sample'}: they are copied in chunks.`)
  }
  return {
    sources: plans,
    totalKeys,
    totalBytes,
    target: targetPlans,
    crossSlot: {
      poolHashTag: sources.hashTag,
      split: split.length,
      splitExamples: split.slice(0, EXAMPLES).map(([tag, g]) => ({tag: keyText(Buffer.from(tag, 'latin1')), keys: g.keys.map(keyText), spans: [...g.slots]})),
      joined: joined.length,
      joinedExamples: joined.slice(0, EXAMPLES).map(([tag, g]) => ({tag: keyText(Buffer.from(tag, 'latin1')), keys: g.keys.map(keyText), spans: [...g.servers]})),
    },
    payloads,
    warnings,
  }
}

/** Slots owned per master "host:port", from CLUSTER SLOTS. */
async function slotCounts(target: MigrationTarget): Promise<Map<string, number>> {
  const ranges = (await target.client.cluster('SLOTS')) as unknown as Array<[number, number, [string, number, ...unknown[]]]>
  const counts = new Map<string, number>()
  for (const [first, last, [host, port]] of ranges) {
    const address = `${host}:${port}`
    counts.set(address, (counts.get(address) ?? 0) + (last - first + 1))
  }
  return counts
}
