// Batched work against the target cluster. The fast path (restoreOnTarget, readOnTarget) sends
// one Lua script call per owning master per batch (scripts.ts); keys the script could not handle
// there (slot moved, node failing over) are retried one by one through the cluster client.
// The general path (perKeyOnTarget): keys are grouped by the master that owns their
// slot in the client's current slot map (keySlot over the key's bytes, so binary keys route
// right), and each group goes out as one pipeline. Any per-key failure that a moving cluster
// explains (MOVED/ASK after a reshard, a failover, TRYAGAIN) is retried for that key alone
// through the cluster client, which follows redirections and refreshes its slot map. A pipeline
// refused as a whole (the slot map changed under the grouping) falls back to one call per key.
import type {Cluster} from 'ioredis'
import {keySlot} from '../../hashing/index.js'
import type {Redis} from 'ioredis'
import {sameMembers} from '../../protocol/rdb/index.js'
import {gatherRecords, keySlotOf, payloadOf, type RecordPage} from '../copy/record-pack.js'
import {isTransient, retryTransient} from './retry.js'
import {script} from '../copy/scripts.js'

export type Reply = [error: Error | null, value: unknown]
export type CommandArgs = Array<string | number | Buffer>

function owner(cluster: Cluster, key: Buffer): string {
  const nodes = cluster.slots[keySlot(key)]
  return nodes && nodes.length > 0 ? nodes[0] : '?'
}

async function single(cluster: Cluster, name: string, args: CommandArgs): Promise<Reply> {
  try {
    return [null, await retryTransient(() => cluster.callBuffer(name, ...args))]
  } catch (error) {
    return [error as Error, null]
  }
}

/**
 * Sends `command(key)` for every key (one command per key, first argument the key) and returns
 * the replies in key order; bulk replies come back as Buffers.
 */
export async function perKeyOnTarget(cluster: Cluster, keys: Buffer[], name: string,
  argsFor: (key: Buffer, index: number) => CommandArgs): Promise<Reply[]> {
  const replies: Reply[] = new Array(keys.length)
  const groups = new Map<string, number[]>()
  for (let i = 0; i < keys.length; i++) {
    const node = owner(cluster, keys[i])
    let list = groups.get(node)
    if (!list) groups.set(node, (list = []))
    list.push(i)
  }
  await Promise.all([...groups.values()].map(async (indexes) => {
    const pipeline = cluster.pipeline()
    for (const i of indexes) pipeline.callBuffer(name, ...argsFor(keys[i], i))
    let results: Reply[] | null = null
    try {
      results = (await pipeline.exec()) as Reply[] | null
    } catch {
      results = null
    }
    await Promise.all(indexes.map(async (i, j) => {
      const result = results?.[j]
      if (result && !(result[0] && isTransient(result[0]))) {
        replies[i] = result
        return
      }
      replies[i] = await single(cluster, name, argsFor(keys[i], i))
    }))
  }))
  return replies
}

/** Groups key indexes by the master that owns their slot, with that master's connection. */
function byMaster(cluster: Cluster, keys: Buffer[]): Array<{node: Redis | undefined; indexes: number[]}> {
  const indexes = keys.map((_, i) => i)
  return bySlotOwner(cluster, indexes, (i) => keySlot(keys[i]))
}

/** Groups `indexes` by the master that owns slot `slotOf(index)`, with that master's connection. */
function bySlotOwner(cluster: Cluster, indexes: readonly number[], slotOf: (index: number) => number): Array<{node: Redis | undefined; indexes: number[]}> {
  const nodes = new Map<string, Redis>()
  for (const node of cluster.nodes('master')) nodes.set(`${node.options.host}:${node.options.port}`, node)
  const groups = new Map<string, number[]>()
  for (const i of indexes) {
    const owners = cluster.slots[slotOf(i)]
    const name = owners && owners.length > 0 ? owners[0] : '?'
    let list = groups.get(name)
    if (!list) groups.set(name, (list = []))
    list.push(i)
  }
  return [...groups].map(([name, group]) => ({node: nodes.get(name), indexes: group}))
}

export interface RestoreItem {
  key: Buffer
  expireAt: number
  payload: Buffer
}

/**
 * RESTORE key expireAt payload ABSTTL [REPLACE] for every item; returns null per restored key or
 * the error (BUSYKEY...) it got.
 */
export async function restoreOnTarget(cluster: Cluster, items: RestoreItem[], replace: boolean): Promise<Array<Error | null>> {
  const results: Array<Error | null> = new Array(items.length).fill(null)
  const keys = items.map((item) => item.key)
  const retry: number[] = []
  await Promise.all(byMaster(cluster, keys).map(async ({node, indexes}) => {
    if (!node) {
      retry.push(...indexes)
      return
    }
    const args: Array<Buffer | number | string> = [replace ? '1' : '0']
    for (const i of indexes) args.push(items[i].key, items[i].expireAt, items[i].payload)
    let reply: unknown[] | undefined
    try {
      reply = await script(node, 'twlabRestore')(0, ...args)
    } catch {
      reply = undefined // the node went away mid-call: each key is retried below
    }
    for (const [j, i] of indexes.entries()) {
      const answer = reply?.[j]
      if (answer === 1) continue
      const message = answer === undefined ? 'node unavailable' : String(answer)
      if (/^BUSYKEY/.test(message)) results[i] = new Error(message)
      else retry.push(i)
    }
  }))
  const again = await perKeyOnTarget(cluster, retry.map((i) => items[i].key), 'RESTORE', (key, j) => {
    const item = items[retry[j]]
    return replace ? [key, item.expireAt, item.payload, 'ABSTTL', 'REPLACE'] : [key, item.expireAt, item.payload, 'ABSTTL']
  })
  for (const [j, i] of retry.entries()) results[i] = again[j][0]
  return results
}

/**
 * The bulk write: RESTORE ... ABSTTL [REPLACE] for the records at `indexes` of a packed page, one
 * script call per owning master with that master's records copied byte for byte as the source
 * wrote them (record-pack.ts). Returns the records that were not restored, by index, with the
 * error each got (BUSYKEY, a slot that moved, a node that went away mid-call); the caller settles
 * those through the per-key path.
 */
export async function restorePacked(cluster: Cluster, page: RecordPage, indexes: number[], replace: boolean): Promise<Map<number, Error>> {
  const failed = await packedPerOwner(cluster, page, indexes, 'node unavailable',
    (node, records) => script(node, 'twlabRestorePacked')(0, replace ? '1' : '0', records))
  return new Map([...failed].map(([i, text]) => [i, new Error(String(text))]))
}

export type CompareFlag = 'missing' | 'value' | 'ttl' | 'error'

/** What one master's bulk comparison saw besides the flagged records: verify's counts add these up. */
export interface CompareSeen {
  /** records whose key this master holds (all but 'missing' and 'error') */
  present: number
  /** keys found here with the expiry the source gives them (keys without one not counted) */
  volatile: number
}

/**
 * A compare script's answer for one record of `page`, as a flag; undefined when the key matches.
 * A DUMP payload (its first byte an RDB type, below any letter) is the node's own listing of a
 * small hash-table set or hash whose order differs from the source's: settled here by comparing
 * the members of both payloads, 'value' when they differ (or are encoded differently: the
 * caller's closer check decodes both).
 */
export function compareFlag(page: RecordPage, index: number, answer: unknown): CompareFlag | undefined {
  if (Buffer.isBuffer(answer) && answer.length > 0 && answer[0] < FIRST_LETTER) {
    const mine = payloadOf(page, index)
    return mine && sameMembers(mine, answer) ? undefined : 'value'
  }
  return String(answer) as CompareFlag
}

const FIRST_LETTER = 0x61 // 'a': every flag's first byte is a lower-case letter

/** Whether a compare script's answer is `flag` (not a payload: those are never decoded as text). */
function isFlag(answer: unknown, flag: CompareFlag): boolean {
  return Buffer.isBuffer(answer) ? answer.length === flag.length && answer[0] >= FIRST_LETTER && answer.toString('latin1') === flag : answer === flag
}

/**
 * Verify's bulk comparison: the records at `indexes` of a page read for verify (each carrying the
 * source's value digest, scripts.ts) checked on the master that owns each key, one packed script
 * call per master. Returns the records that do not match, by index; records whose node could not
 * be asked are flagged 'error' for the caller to check one by one. Without `everyExpiry`, only
 * the expiries of keys the source gives one are read (expiry-count.ts). `onSeen` hears, per
 * master that answered, what it saw (CompareSeen).
 */
export async function compareOnTarget(cluster: Cluster, page: RecordPage, indexes: number[], toleranceMs: number,
  everyExpiry: boolean, onSeen?: (node: Redis, seen: CompareSeen) => void): Promise<Map<number, CompareFlag>> {
  const answers = await packedPerOwner(cluster, page, indexes, 'error', async (node, records, count) => {
    const reply = await script(node, 'twlabComparePacked')(0, toleranceMs, records, everyExpiry ? '1' : '0')
    const flagged = reply.slice(1)
    if (onSeen) {
      let absent = 0
      for (let f = 1; f < flagged.length; f += 2) {
        if (isFlag(flagged[f], 'missing') || isFlag(flagged[f], 'error')) absent++
      }
      onSeen(node, {present: count - absent, volatile: Number(reply[0])})
    }
    return flagged
  })
  const flags = new Map<number, CompareFlag>()
  for (const [i, answer] of answers) {
    const flag = compareFlag(page, i, answer)
    if (flag) flags.set(i, flag)
  }
  return flags
}

/**
 * The records at `indexes`, grouped by the master that owns each key, sent to it packed in one
 * script call that answers [record number (from 1), answer, ...] for the records it reports.
 * Returns those answers by index; every record of a group whose node could not be asked (no
 * owner known, or it went away mid-call) gets `unreachable`.
 */
async function packedPerOwner(cluster: Cluster, page: RecordPage, indexes: number[], unreachable: string,
  call: (node: Redis, records: Buffer, count: number) => Promise<unknown[]>): Promise<Map<number, unknown>> {
  const reported = new Map<number, unknown>()
  await Promise.all(bySlotOwner(cluster, indexes, (i) => keySlotOf(page, i)).map(async ({node, indexes: group}) => {
    let reply: unknown[] | undefined
    if (node) {
      try {
        reply = await call(node, gatherRecords(page, group), group.length)
      } catch {
        reply = undefined // the node went away mid-call: every record of the group is reported
      }
    }
    if (!reply) {
      for (const i of group) reported.set(i, unreachable)
      return
    }
    for (let f = 0; f + 1 < reply.length; f += 2) reported.set(group[Number(reply[f]) - 1], reply[f + 1])
  }))
  return reported
}

/** DUMP payload and absolute expiry (0 for none) of every key on the target. */
export async function readOnTarget(cluster: Cluster, keys: Buffer[]): Promise<Array<{payload: Buffer | null; expireAt: number}>> {
  const results: Array<{payload: Buffer | null; expireAt: number}> = new Array(keys.length)
  const retry: number[] = []
  await Promise.all(byMaster(cluster, keys).map(async ({node, indexes}) => {
    let reply: unknown[] | undefined
    if (node) {
      try {
        reply = await script(node, 'twlabClusterRead')(0, ...indexes.map((i) => keys[i]))
      } catch {
        reply = undefined
      }
    }
    for (const [j, i] of indexes.entries()) {
      const payload = reply?.[2 * j]
      const expire = reply?.[2 * j + 1]
      if (reply && typeof expire === 'number') {
        results[i] = {payload: (payload as Buffer | null) ?? null, expireAt: expire > 0 ? expire : 0}
      } else retry.push(i)
    }
  }))
  const retryKeys = retry.map((i) => keys[i])
  const [dumps, expiries] = await Promise.all([
    perKeyOnTarget(cluster, retryKeys, 'DUMP', (key) => [key]),
    perKeyOnTarget(cluster, retryKeys, 'PEXPIRETIME', (key) => [key]),
  ])
  for (const [j, i] of retry.entries()) {
    if (dumps[j][0]) throw dumps[j][0]
    if (expiries[j][0]) throw expiries[j][0]
    const expire = Number(expiries[j][1])
    results[i] = {payload: (dumps[j][1] as Buffer | null) ?? null, expireAt: expire > 0 ? expire : 0}
  }
  return results
}
