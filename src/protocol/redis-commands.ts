// The redis commands nutcracker accepts, grouped by the arity class its parser checks. Anything
// not in this table is unsupported: nutcracker closes the client connection, and so do we.
// Lookup is case-insensitive and works on the request's bytes in place (no string is built).

export const enum Arity {
  /** exactly the command: PING, QUIT, COMMAND */
  Zero = 0,
  /** command key */
  Key = 1,
  /** command key arg */
  KeyPlus1 = 2,
  /** command key arg arg */
  KeyPlus2 = 3,
  /** command key arg arg arg */
  KeyPlus3 = 4,
  /** command key [args...] */
  KeyPlusN = 5,
  /** command key [key...]: split per server when there are two keys or more */
  MultiKey = 6,
  /** command key value [key value...]: split per server when there are two pairs or more */
  KeyValues = 7,
  /** EVAL/EVALSHA script numkeys key [key...] [arg...]: routed by the first key */
  Eval = 8,
  /** command [args...] with no key (LOLWUT) */
  NoKey = 9,
}

/** What the proxy does with a command beyond forwarding it. */
export const enum Special {
  None = 0,
  Ping = 1,
  Quit = 2,
  Auth = 3,
  Mget = 4,
  Del = 5,
  Unlink = 6,
  Touch = 7,
  Mset = 8,
}

export interface CommandInfo {
  /** lowercase name */
  name: string
  arity: Arity
  special: Special
  /** read-only: a replica may answer it (read_from) */
  read: boolean
}

const TABLE: Array<[Arity, string]> = [
  [Arity.Zero, 'ping quit command'],
  [Arity.Key, 'persist pttl ttl type dump decr get getdel incr strlen hgetall hkeys hlen hvals llen scard smembers zcard'],
  [Arity.KeyPlus1, 'expire expireat pexpire pexpireat append decrby getbit getset incrby incrbyfloat setnx hexists hget ' +
    'hstrlen lindex rpoplpush sismember zrank zrevrank zscore'],
  [Arity.KeyPlus2, 'getrange psetex setbit setex setrange hincrby hincrbyfloat hsetnx lrange lrem lset ltrim smove zcount ' +
    'zlexcount zincrby zremrangebylex zremrangebyrank zremrangebyscore'],
  [Arity.KeyPlus3, 'linsert lmove'],
  // AUTH password (nutcracker's form) or AUTH user password (Redis 6): the client checks the count
  [Arity.KeyPlusN, 'auth sort copy bitcount bitpos bitfield exists getex set hdel hmget hmset hscan hset hrandfield lpush lpushx ' +
    'rpush rpushx lpop rpop lpos sadd sdiff sdiffstore sinter sinterstore srem sunion sunionstore srandmember sscan spop ' +
    'smismember pfadd pfmerge pfcount zadd zdiff zdiffstore zinter zinterstore zmscore zpopmax zpopmin zrandmember zrange ' +
    'zrangebylex zrangebyscore zrangestore zrem zrevrange zrevrangebylex zrevrangebyscore zscan zunion zunionstore geodist ' +
    'geopos geohash geoadd georadius georadiusbymember geosearch geosearchstore restore'],
  [Arity.MultiKey, 'mget del unlink touch'],
  [Arity.KeyValues, 'mset'],
  [Arity.Eval, 'eval evalsha'],
  [Arity.NoKey, 'lolwut'],
]

// The commands a replica answers as its master would (Redis's `readonly` flag), of those above:
// read_from sends these to replicas. Anything that writes, or may (SORT, GEORADIUS with STORE,
// EVAL), is not here and goes to the master.
const READS = new Set(('pttl ttl type dump get strlen hgetall hkeys hlen hvals llen scard smembers zcard getbit hexists hget ' +
  'hstrlen lindex sismember zrank zrevrank zscore getrange lrange zcount zlexcount bitcount bitpos exists hmget hscan ' +
  'hrandfield lpos sdiff sinter sunion srandmember sscan smismember pfcount zdiff zinter zmscore zrandmember zrange ' +
  'zrangebylex zrangebyscore zrevrange zrevrangebylex zrevrangebyscore zscan zunion geodist geopos geohash geosearch mget').split(' '))

const SPECIALS: Record<string, Special> = {
  ping: Special.Ping, quit: Special.Quit, auth: Special.Auth, mget: Special.Mget, del: Special.Del,
  unlink: Special.Unlink, touch: Special.Touch, mset: Special.Mset,
}

// Open-addressed table keyed by (length, lowercase bytes). 1024 slots for ~200 names keeps probes short.
const SLOTS = 1024
const slotNames: Array<Uint8Array | undefined> = new Array(SLOTS)
const slotInfo: Array<CommandInfo | undefined> = new Array(SLOTS)

function hashLower(buf: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5
  for (let i = start; i < end; i++) {
    let c = buf[i]
    if (c >= 65 && c <= 90) c |= 0x20
    h = Math.imul(h ^ c, 16777619)
  }
  return (h >>> 0) & (SLOTS - 1)
}

for (const [arity, names] of TABLE) {
  for (const name of names.split(' ')) {
    const bytes = Buffer.from(name, 'latin1')
    let slot = hashLower(bytes, 0, bytes.length)
    while (slotNames[slot] !== undefined) slot = (slot + 1) & (SLOTS - 1)
    slotNames[slot] = bytes
    slotInfo[slot] = {name, arity, special: SPECIALS[name] ?? Special.None, read: READS.has(name)}
  }
}

/** The command whose name is buf[start, end), matched case-insensitively, or undefined. */
export function lookupCommand(buf: Uint8Array, start: number, end: number): CommandInfo | undefined {
  const len = end - start
  let slot = hashLower(buf, start, end)
  for (;;) {
    const name = slotNames[slot]
    if (name === undefined) return undefined
    if (name.length === len) {
      let i = 0
      while (i < len) {
        let c = buf[start + i]
        if (c >= 65 && c <= 90) c |= 0x20
        if (c !== name[i]) break
        i++
      }
      if (i === len) return slotInfo[slot]
    }
    slot = (slot + 1) & (SLOTS - 1)
  }
}

/** Every supported command name, lowercase (for tests and documentation). */
export function supportedCommands(): string[] {
  return TABLE.flatMap(([, names]) => names.split(' '))
}
