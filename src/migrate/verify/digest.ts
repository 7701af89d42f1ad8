// A type-aware digest of one key's value, the same on any server holding an equal value whatever
// its internal encoding (listpack or hashtable, intset or set...). Verify compares DUMP payloads
// first (cheap, byte-exact); two payloads can differ for equal values when the servers encode
// them differently, so a payload mismatch is settled by this digest. Values are read in chunks,
// so big keys are digested without pulling them over the wire in one reply; hashes and sets,
// whose member order is each server's own, are digested on the server, chunk by chunk.
import {createHash, type Hash} from 'node:crypto'
import type {Redis} from 'ioredis'
import {withoutHllCache} from './value-equality.js'

const CHUNK = 1000
/**
 * Members per SCANNED_STEP: each step is one round trip, which on a busy server waits behind the
 * scan's own pages; 5,000 members take a few milliseconds of script time.
 */
const SCANNED_CHUNK = 5000
/** 2^48: the sums of SCANNED_STEP stay exact integers in doubles (Lua's and ours) */
const SUM_MODULUS = 2 ** 48

export interface ValueDigest {
  type: string
  /** hex sha1, or '' when the key does not exist */
  digest: string
  /** absolute expiry in unix ms (0: none), when asked for */
  expireAt?: number
}

/** How a server tells a key's expiry: PEXPIRETIME (Redis 7 on), or PTTL added to our clock. */
export type ExpiryCommand = 'PEXPIRETIME' | 'PTTL'

function feed(hash: Hash, item: Buffer | string): void {
  const bytes = typeof item === 'string' ? Buffer.from(item) : item
  const length = Buffer.alloc(4)
  length.writeUInt32BE(bytes.length)
  hash.update(length)
  hash.update(bytes)
}

// One HSCAN or SSCAN step digested on the server: each member (with its value, for a hash)
// length-prefixed and hashed (SHA-1), the first 96 bits of each hash added up in two 48-bit sums
// (exact in Lua's doubles, returned as integers). Sums do not depend on the order the server walks
// its table in, so the two sides need no sort and the members never cross the wire; the caller
// adds up the steps and counts members.
const SCANNED_STEP = `#!lua flags=no-writes
local reply = redis.call(ARGV[1], KEYS[1], ARGV[2], 'COUNT', ARGV[3])
local items = reply[2]
local with_values = ARGV[1] == 'HSCAN'
local sha1hex, pack, sub, tonumber = redis.sha1hex, struct.pack, string.sub, tonumber
local high, low, n = 0, 0, 0
for i = 1, #items, with_values and 2 or 1 do
  local h
  if with_values then
    h = sha1hex(pack('>I4I4', #items[i], #items[i + 1]) .. items[i] .. items[i + 1])
  else
    h = sha1hex(pack('>I4', #items[i]) .. items[i])
  end
  high = (high + tonumber(sub(h, 1, 12), 16)) % ${SUM_MODULUS}
  low = (low + tonumber(sub(h, 13, 24), 16)) % ${SUM_MODULUS}
  n = n + 1
end
return {reply[1], high, low, n}`

/**
 * A hash or set digested step by step on the server (SCANNED_STEP): the sums of every step and
 * the member count. SCAN returns a member twice only when the table is resized between steps,
 * which takes a write to the key: a key being written reads as different and is checked again.
 */
async function scannedDigest(hash: Hash, client: Redis, key: Buffer, command: 'HSCAN' | 'SSCAN'): Promise<void> {
  let high = 0
  let low = 0
  let members = 0
  let cursor = '0'
  for (let round = 0; round < 100_000_000; round++) {
    const reply = (await client.callBuffer('EVAL', SCANNED_STEP, 1, key, command, cursor, SCANNED_CHUNK)) as [Buffer, number, number, number]
    high = (high + Number(reply[1])) % SUM_MODULUS
    low = (low + Number(reply[2])) % SUM_MODULUS
    members += Number(reply[3])
    cursor = reply[0].toString()
    if (cursor === '0') break
  }
  feed(hash, `${high} ${low} ${members}`)
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

/** The memory the key takes on the server (MEMORY USAGE, sampled), Infinity when it cannot say. */
export async function estimatedBytes(node: Redis, key: Buffer): Promise<number> {
  const client = askingClients.has(node) ? withAsking(node) : node
  try {
    const bytes = await client.call('MEMORY', 'USAGE', key)
    return bytes === null ? 0 : Number(bytes)
  } catch {
    return Infinity
  }
}

/** The key's absolute expiry in unix ms, 0 for none. */
async function expiryOf(client: Redis, key: Buffer, command: ExpiryCommand): Promise<number> {
  const before = Date.now()
  const time = Number(await client.call(command, key))
  if (time < 0) return 0
  return command === 'PTTL' ? before + time : time
}

/** The key's type and value digest; with `expiry`, its absolute expiry too (read first). */
export async function valueDigest(node: Redis, key: Buffer, expiry?: ExpiryCommand): Promise<ValueDigest> {
  const client = askingClients.has(node) ? withAsking(node) : node
  const expireAt = expiry ? await expiryOf(client, key, expiry) : undefined
  const {type, digest} = await typedDigest(client, key)
  return expiry ? {type, digest, expireAt} : {type, digest}
}

async function typedDigest(client: Redis, key: Buffer): Promise<ValueDigest> {
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
    case 'hash': await scannedDigest(hash, client, key, 'HSCAN'); break
    case 'set': await scannedDigest(hash, client, key, 'SSCAN'); break
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
