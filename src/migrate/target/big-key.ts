// Copying a key too big for one RESTORE (a single huge RESTORE blocks the target node for the
// whole deserialisation and may exceed proto-max-bulk-len). The value is rebuilt in chunks
// under a same-slot temporary name (temp-key.ts) with ordinary commands, each chunk a short
// command, then the expiry is set on it and RENAME swaps it over the real key atomically.
// Read side: GETRANGE / LRANGE / HSCAN / SSCAN / ZRANGE by rank / XRANGE, a chunk at a time.
//
// Honest limits: a stream with consumer groups cannot be rebuilt by commands (pending entries
// lists have no command that recreates them), so such a stream is copied whole by RESTORE;
// a key with no same-slot temporary name is copied whole too. A value that changes on the
// source while its chunks are read can come out mixed; online mode re-copies every key that
// changes, and verification at the end catches what remains.
import type {Cluster} from 'ioredis'
import {isTransient, retryTransient} from './retry.js'
import type {Source} from '../source/sources.js'
import {sameSlotTempKey} from './temp-key.js'

export interface ChunkOptions {
  /** elements per chunk (list items, hash fields, members, stream entries) */
  elements: number
  /** bytes per chunk for strings */
  bytes: number
}

export type ChunkResult = 'chunked' | 'whole' | 'vanished'

export async function copyInChunks(source: Source, target: Cluster, key: Buffer, expireAt: number,
  options: ChunkOptions): Promise<ChunkResult> {
  const temp = sameSlotTempKey(key)
  if (!temp) return 'whole'
  const type = await source.client.type(key)
  if (type === 'none') return 'vanished'
  if (type === 'stream') {
    const groups = (await source.client.xinfo('GROUPS', key)) as unknown[]
    if (groups.length > 0) return 'whole'
  }
  const write = (args: Array<string | Buffer | number>) => retryTransient(() => target.call(String(args[0]), ...args.slice(1)))
  await write(['DEL', temp])
  const src = source.client
  const n = options.elements
  let wrote = false
  switch (type) {
    case 'string': {
      const length = await src.strlen(key)
      for (let offset = 0; offset < length; offset += options.bytes) {
        const chunk = await src.getrangeBuffer(key, offset, Math.min(offset + options.bytes, length) - 1)
        await write(['APPEND', temp, chunk])
        wrote = true
      }
      if (!wrote) await write(['SET', temp, ''])
      wrote = true
      break
    }
    case 'list': {
      const length = await src.llen(key)
      for (let start = 0; start < length; start += n) {
        const items = await src.lrangeBuffer(key, start, start + n - 1)
        if (items.length === 0) break
        await write(['RPUSH', temp, ...items])
        wrote = true
      }
      break
    }
    case 'hash': wrote = await copyScanned(() => cursorLoop((c) => src.hscanBuffer(key, c, 'COUNT', n)), (items) => write(['HSET', temp, ...items])); break
    case 'set': wrote = await copyScanned(() => cursorLoop((c) => src.sscanBuffer(key, c, 'COUNT', n)), (items) => write(['SADD', temp, ...items])); break
    case 'zset': {
      const length = await src.zcard(key)
      for (let start = 0; start < length; start += n) {
        const flat = await src.zrangeBuffer(key, start, start + n - 1, 'WITHSCORES')
        if (flat.length === 0) break
        const args: Buffer[] = []
        for (let i = 0; i < flat.length; i += 2) args.push(flat[i + 1], flat[i])
        await write(['ZADD', temp, ...args])
        wrote = true
      }
      break
    }
    case 'stream': {
      let start = '-'
      for (let round = 0; round < 10_000_000; round++) {
        const entries = (await src.xrangeBuffer(key, start, '+', 'COUNT', n)) as Array<[Buffer, Buffer[]]>
        if (entries.length === 0) break
        await writeMany(target, entries.map(([id, fields]) => ['XADD', temp, id, ...fields]))
        wrote = true
        start = `(${entries[entries.length - 1][0].toString()}`
        if (entries.length < n) break
      }
      const info = (await src.call('XINFO', 'STREAM', key)) as unknown[]
      const field = (name: string) => info[info.indexOf(name) + 1]
      if (!wrote) await write(['XADD', temp, 'MAXLEN', '0', '0-1', 'x', 'y'])
      await write(['XSETID', temp, String(field('last-generated-id')), 'ENTRIESADDED', String(field('entries-added')),
        'MAXDELETEDID', String(field('max-deleted-entry-id'))])
      wrote = true
      break
    }
    default:
      return 'whole'
  }
  if (!wrote) {
    // The key emptied (and so vanished) between the size check and the copy.
    await write(['DEL', key])
    return 'vanished'
  }
  if (expireAt > 0) await write(['PEXPIREAT', temp, expireAt])
  await write(['RENAME', temp, key])
  return 'chunked'
}

/** Several commands on the temporary key's node as one pipeline; failures retried one by one. */
async function writeMany(target: Cluster, commands: Array<Array<string | Buffer | number>>): Promise<void> {
  const pipeline = target.pipeline()
  for (const [name, ...args] of commands) pipeline.call(String(name), ...args)
  let replies: Array<[Error | null, unknown]> | null = null
  try {
    replies = (await pipeline.exec()) as Array<[Error | null, unknown]> | null
  } catch {
    replies = null
  }
  for (const [i, [name, ...args]] of commands.entries()) {
    const error = replies ? replies[i][0] : new Error('pipeline refused')
    if (!error) continue
    if (replies && !isTransient(error)) throw error
    await retryTransient(() => target.call(String(name), ...args))
  }
}

type ScanReply = [cursor: Buffer | string, items: Buffer[]]

async function* cursorLoop(step: (cursor: string) => Promise<ScanReply>): AsyncGenerator<Buffer[]> {
  let cursor = '0'
  for (let round = 0; round < 100_000_000; round++) {
    const [next, items] = await step(cursor)
    if (items.length > 0) yield items
    cursor = next.toString()
    if (cursor === '0') return
  }
}

/** Feeds scan pages (flat field/value or member lists) to a writer; true when anything was written. */
async function copyScanned(pages: () => AsyncGenerator<Buffer[]>, write: (items: Buffer[]) => Promise<unknown>): Promise<boolean> {
  let wrote = false
  for await (const items of pages()) {
    await write(items)
    wrote = true
  }
  return wrote
}
