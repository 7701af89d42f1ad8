// A type-aware digest of one key's value, the same on any server holding an equal value whatever
// its internal encoding (listpack or hashtable, intset or set...). Verify compares DUMP payloads
// first (cheap, byte-exact); two payloads can differ for equal values when the servers encode
// them differently, so a payload mismatch is settled by this digest. Values are read in chunks,
// so big keys are digested without pulling them over the wire in one reply.
import {createHash, type Hash} from 'node:crypto'
import type {Redis} from 'ioredis'

const CHUNK = 1000

export interface ValueDigest {
  type: string
  /** hex sha1, or '' when the key does not exist */
  digest: string
}

function feed(hash: Hash, item: Buffer | string): void {
  const bytes = typeof item === 'string' ? Buffer.from(item) : item
  const length = Buffer.alloc(4)
  length.writeUInt32BE(bytes.length)
  hash.update(length)
  hash.update(bytes)
}

/** Members of a scanned collection, deduplicated (SCAN may repeat) and sorted for order independence. */
async function scannedDigest(hash: Hash, step: (cursor: string) => Promise<[Buffer | string, Buffer[]]>, pairs: boolean): Promise<void> {
  const seen = new Map<string, string>()
  let cursor = '0'
  for (let round = 0; round < 100_000_000; round++) {
    const [next, items] = await step(cursor)
    const width = pairs ? 2 : 1
    for (let i = 0; i < items.length; i += width) {
      const member = items[i].toString('latin1')
      seen.set(member, pairs ? items[i + 1].toString('latin1') : '')
    }
    cursor = next.toString()
    if (cursor === '0') break
  }
  for (const member of [...seen.keys()].sort()) {
    feed(hash, Buffer.from(member, 'latin1'))
    if (pairs) feed(hash, Buffer.from(seen.get(member) as string, 'latin1'))
  }
}

/**
 * A HyperLogLog is a string whose header caches the last PFCOUNT (bytes 8-15, and a validity
 * bit). PFCOUNT rewrites that cache, so two equal HyperLogLogs can differ there: it is left out.
 */
function withoutHllCache(chunk: Buffer): Buffer {
  if (chunk.length < 16 || chunk.toString('latin1', 0, 4) !== 'HYLL') return chunk
  return Buffer.concat([chunk.subarray(0, 5), chunk.subarray(16)])
}

/** Connections to masters of a source cluster: their reads go after ASKING (a slot being imported). */
const askingClients = new WeakSet<Redis>()

/** Marks a cluster master's connection: every digest read on it is sent after ASKING. */
export function digestWithAsking(client: Redis): void {
  askingClients.add(client)
}

/** The client with ASKING written before each command (both in one go, in order). */
function withAsking(client: Redis): Redis {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        target.call('ASKING').catch(() => {})
        return (value as (...a: unknown[]) => unknown).apply(target, args)
      }
    },
  })
}

export async function valueDigest(node: Redis, key: Buffer): Promise<ValueDigest> {
  const client = askingClients.has(node) ? withAsking(node) : node
  const type = await client.type(key)
  if (type === 'none') return {type, digest: ''}
  const hash = createHash('sha1')
  feed(hash, type)
  switch (type) {
    case 'string': {
      const length = await client.strlen(key)
      for (let offset = 0; offset < length; offset += 1 << 20) {
        let chunk = await client.getrangeBuffer(key, offset, Math.min(offset + (1 << 20), length) - 1)
        if (offset === 0) chunk = withoutHllCache(chunk)
        hash.update(chunk)
      }
      break
    }
    case 'list': {
      const length = await client.llen(key)
      for (let start = 0; start < length; start += CHUNK) {
        for (const item of await client.lrangeBuffer(key, start, start + CHUNK - 1)) feed(hash, item)
      }
      break
    }
    case 'hash': await scannedDigest(hash, (c) => client.hscanBuffer(key, c, 'COUNT', CHUNK), true); break
    case 'set': await scannedDigest(hash, (c) => client.sscanBuffer(key, c, 'COUNT', CHUNK), false); break
    case 'zset': {
      const length = await client.zcard(key)
      for (let start = 0; start < length; start += CHUNK) {
        for (const item of await client.zrangeBuffer(key, start, start + CHUNK - 1, 'WITHSCORES')) feed(hash, item)
      }
      break
    }
    case 'stream': {
      let start = '-'
      for (let round = 0; round < 100_000_000; round++) {
        const entries = (await client.xrangeBuffer(key, start, '+', 'COUNT', CHUNK)) as Array<[Buffer, Buffer[]]>
        for (const [id, fields] of entries) {
          feed(hash, id)
          for (const field of fields) feed(hash, field)
        }
        if (entries.length < CHUNK) break
        start = `(${entries[entries.length - 1][0].toString()}`
      }
      const info = (await client.call('XINFO', 'STREAM', key)) as unknown[]
      feed(hash, String(info[info.indexOf('last-generated-id') + 1]))
      const groups = (await client.xinfo('GROUPS', key)) as unknown[][]
      for (const group of groups) {
        const g = (name: string) => String(group[group.indexOf(name) + 1])
        feed(hash, `${g('name')} ${g('last-delivered-id')} ${g('pending')}`)
      }
      break
    }
    default: {
      // Module types: only DUMP can compare them.
      const payload = await client.dumpBuffer(key)
      if (payload) hash.update(payload)
    }
  }
  return {type, digest: hash.digest('hex')}
}
